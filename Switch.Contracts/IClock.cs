namespace Switch.Contracts;

/// <summary>The time engines see, injected so tests and pcap replay drive timeouts deterministically.</summary>
public interface IClock
{
    /// <summary>Microseconds since the Unix epoch.</summary>
    long NowUs { get; }
}

public sealed class SystemClock : IClock
{
    public static readonly SystemClock Instance = new();
    public long NowUs => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}

/// <summary>Real elapsed time that never jumps (not wall time: its zero is arbitrary), for deadlines that must hold
/// whatever the connection clock does (replay moves that one by capture timestamps).</summary>
public sealed class MonotonicClock : IClock
{
    public static readonly MonotonicClock Instance = new();
    public long NowUs => System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000);
}

/// <summary>A clock that moves only when told: tests, and replay (which follows capture timestamps).</summary>
public sealed class ManualClock : IClock
{
    public long NowUs { get; set; }
    public ManualClock(long startUs = 0) => NowUs = startUs;
    public void Advance(TimeSpan by) => NowUs += by.Ticks / 10;
    /// <summary>Moves forward to <paramref name="us"/>, never back.</summary>
    public void AdvanceTo(long us) { if (us > NowUs) NowUs = us; }
}
