namespace Switch.Contracts.Cluster;

// Conntrack across the cluster: a node's datapath asks the entity that owns a connection (or a datagram being
// reassembled) and gets the ct fields back. One type per concern, grouped here because they are one exchange.

/// <summary>The ct(...) arguments, resolved (zone from a register already read). Labels as two 64-bit halves.</summary>
public sealed record CtRequestData(ushort Zone, bool Commit, bool Force, byte Alg, bool SetMark, uint Mark, uint MarkMask,
    bool SetLabel, ulong LabelHi, ulong LabelLo, ulong LabelMaskHi, ulong LabelMaskLo) : IClusterMessage;

/// <summary>
/// One packet for conntrack. <see cref="EntityId"/> names the connection ("c/…"), the datagram being reassembled
/// ("f/…") or the expectation ("e/…") that answers. <see cref="Meta"/> carries the pipeline metadata the
/// engine keeps on a reassembled packet's key (metadata, registers, tunnel fields); <see cref="CtWords"/> the
/// key's ct fields, so a packet already tracked in this zone is not tracked twice (the kernel's skb_nfct_cached).
/// </summary>
/// <see cref="WantsLease"/>: the sender is a node's datapath that can hold a lease on the connection (the fast path).
public sealed record CtQuery(long Id, string EntityId, byte[] Frame, uint InPort, ulong[] Meta, ulong[] CtWords, CtRequestData Request,
    bool WantsLease = false) : IClusterMessage;

/// <summary>Verdicts on the wire: the engine's three, plus "reassembled" (the frame is the whole datagram, to be tracked next).</summary>
public static class CtWireVerdict
{
    public const byte Continue = 0, Stolen = 1, Drop = 2, Reassembled = 3;
}

/// <summary>The answer: verdict, the key's words after ct (ct_state, zone, mark, label, original tuple set), and the
/// reassembled frame with its MRU when the query completed a datagram; <see cref="Lease"/> when the entity lends the
/// connection to the asking node.</summary>
public sealed record CtReply(long Id, byte Verdict, string? DropReason, ulong[] KeyWords, byte[]? Frame, int Mru,
    LeaseGrant? Lease = null) : IClusterMessage;

/// <summary>Asks one entity for its dump-conntrack lines (optionally one zone).</summary>
public sealed record DumpEntity(string EntityId, ushort? Zone) : IClusterMessage;

public sealed record DumpEntityReply(string[] Lines) : IClusterMessage;

/// <summary>Removes the entity's entries (optionally only one zone); the entity stops when it holds nothing.</summary>
public sealed record FlushEntity(string EntityId, ushort? Zone, string? Tuple = null) : IClusterMessage;

public sealed record FlushEntityReply(int Removed) : IClusterMessage;

/// <summary>
/// Queries from one node for entities of one shard, travelling together: the shard's relay entity
/// (<see cref="EntityId"/> = "b/{shard}") hands each to its entity, keeping the sender so answers go straight back.
/// Lease reports for entities of the shard ride along.
/// </summary>
public sealed record CtQueryBatch(string EntityId, CtQuery[] Queries, LeaseReport[]? Reports = null) : IClusterMessage;
