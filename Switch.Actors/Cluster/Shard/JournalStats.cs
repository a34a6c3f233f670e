using System.Diagnostics;
using Akka.Actor;

namespace Switch.Actors.Cluster;

/// <summary>Journal write latency of one member's conntrack entities (time from Persist to its handler), for metrics
/// and the status page. One per ActorSystem (an Akka extension), so members sharing a process (tests, the replay
/// cluster, benches) each count their own.</summary>
public sealed class JournalStats : IExtension
{
    private long _writes, _totalTicks, _maxTicks;

    public static JournalStats Get(ActorSystem system) => system.WithExtension<JournalStats, JournalStatsProvider>();

    public long Writes => Interlocked.Read(ref _writes);
    public double TotalSeconds => Interlocked.Read(ref _totalTicks) / (double)Stopwatch.Frequency;
    public double MaxSeconds => Interlocked.Read(ref _maxTicks) / (double)Stopwatch.Frequency;

    public void Record(long startTimestamp)
    {
        long t = Stopwatch.GetTimestamp() - startTimestamp;
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _totalTicks, t);
        long max;
        while (t > (max = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, t, max) != max) { }
    }
}

public sealed class JournalStatsProvider : ExtensionIdProvider<JournalStats>
{
    public override JournalStats CreateExtension(ExtendedActorSystem system) => new();
}
