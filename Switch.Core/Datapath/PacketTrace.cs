namespace Switch.Core.Datapath;

/// <summary>What happened to one packet: tables visited with the flow matched, ct results, outputs, drop reason.
/// Filled only when asked for (trace command, --trace-json), so the normal path does not allocate it.</summary>
public sealed class PacketTrace
{
    public sealed record TableStep(int Depth, byte Table, Flow? Flow, bool Recirculated);
    public sealed record CtStep(byte State, ushort Zone, uint Mark, UInt128 Label, string? Verdict);

    public List<TableStep> Tables { get; } = new();
    public List<CtStep> Ct { get; } = new();
    public List<uint> Outputs { get; } = new();
    public List<string> Notes { get; } = new();
    public string? DropReason { get; set; }
}
