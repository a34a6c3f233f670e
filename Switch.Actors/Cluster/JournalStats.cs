using System.Diagnostics;

namespace Switch.Actors.Cluster;

/// <summary>Journal write latency of this process's conntrack entities (time from Persist to its handler), for metrics.</summary>
public static class JournalStats
{
    private static long _writes, _totalTicks, _maxTicks;

    public static long Writes => Interlocked.Read(ref _writes);
    public static double TotalSeconds => Interlocked.Read(ref _totalTicks) / (double)Stopwatch.Frequency;
    public static double MaxSeconds => Interlocked.Read(ref _maxTicks) / (double)Stopwatch.Frequency;

    public static void Record(long startTimestamp)
    {
        long t = Stopwatch.GetTimestamp() - startTimestamp;
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _totalTicks, t);
        long max;
        while (t > (max = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, t, max) != max) { }
    }
}
