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

/// <summary>A clock that moves only when told: tests, and replay (which follows capture timestamps).</summary>
public sealed class ManualClock : IClock
{
    public long NowUs { get; set; }
    public ManualClock(long startUs = 0) => NowUs = startUs;
    public void Advance(TimeSpan by) => NowUs += by.Ticks / 10;
    /// <summary>Moves forward to <paramref name="us"/>, never back.</summary>
    public void AdvanceTo(long us) { if (us > NowUs) NowUs = us; }
}
