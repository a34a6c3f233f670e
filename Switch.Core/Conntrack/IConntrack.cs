using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>Application-layer gateway a committed connection is tracked with (ct(alg=...)).</summary>
public enum CtAlg : byte { None = 0, Ftp = 1, Tftp = 2 }

/// <summary>What one ct action asks of connection tracking, resolved from the flow's ct(...) arguments.</summary>
public readonly record struct CtRequest(
    ushort Zone,
    bool Commit = false,
    bool Force = false,
    CtAlg Alg = CtAlg.None,
    bool SetMark = false, uint Mark = 0, uint MarkMask = 0,
    bool SetLabel = false, UInt128 Label = default, UInt128 LabelMask = default);

public enum CtVerdict : byte
{
    /// <summary>The packet goes on with the ct_* fields of its key set.</summary>
    Continue = 0,
    /// <summary>The packet was taken (a fragment held for reassembly): processing stops without a drop.</summary>
    Stolen = 1,
    /// <summary>The packet is dropped; the outcome names why (counted by the caller).</summary>
    Drop = 2,
}

public readonly record struct CtOutcome(CtVerdict Verdict, string? DropReason = null)
{
    public static readonly CtOutcome Continue = new(CtVerdict.Continue);
    public static readonly CtOutcome Stolen = new(CtVerdict.Stolen);
    public static CtOutcome Drop(string reason) => new(CtVerdict.Drop, reason);
}

/// <summary>
/// The conntrack service the datapath's ct action calls. Implementations: the in-process engine (single node,
/// benchmarks, tests) and later the cluster (sharded entities).
/// </summary>
public interface IConntrack
{
    /// <summary>
    /// Sends one packet through connection tracking. On <see cref="CtVerdict.Continue"/> the key's ct_state
    /// (always with TRACKED), ct_zone, ct_mark, ct_label and original-direction tuple fields (ct_nw_src/dst,
    /// ct_ipv6_src/dst, ct_nw_proto, ct_tp_src/dst) are set. When the packet completes a fragmented datagram,
    /// <paramref name="packet"/> is replaced by the reassembled one (its Mru set) and <paramref name="key"/>
    /// re-parsed from it, keeping in_port, metadata and registers.
    /// </summary>
    CtOutcome Execute(ref Packet packet, ref FlowKey key, in CtRequest request);
}
