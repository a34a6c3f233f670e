namespace Switch.Core.Ports;

/// <summary>What a <see cref="ReplaySource"/> made of one input file. Frames yielded = read - skipped.</summary>
public sealed class ReplayInputCounters
{
    public ReplayInputCounters(ReplayInput input) => Input = input;

    public ReplayInput Input { get; }
    /// <summary>Records read from the file, of any link type.</summary>
    public long FramesRead;
    /// <summary>Records skipped because their link type is not Ethernet (only Ethernet is switched).</summary>
    public long NonEthernetSkipped;
}
