namespace Switch.Contracts.Cluster;

/// <summary>The whole flow table as canonical flow text, with the version of the change that produced it (the flow
/// journal's snapshot; on the wire a set travels as <see cref="FlowSnapshotPart"/>s).</summary>
public sealed record FlowSet(long Version, string[] Lines) : IClusterMessage;

public static class FlowCommandKind
{
    public const byte Add = 0, Modify = 1, Delete = 2;
}

/// <summary>
/// A flow change sent to the cluster's flow manager (a singleton, so changes apply in one order). A change of many
/// lines travels in parts (<see cref="ClusterLimits.PartBytes"/> each) that share <see cref="Request"/>; the manager
/// acts on the part with <see cref="More"/> false (the flow command client in Switch.Actors cuts them).
/// </summary>
public sealed record FlowCommand(byte Kind, string[] Lines, bool Strict, long Request = 0, bool More = false) : IClusterMessage;

/// <summary>The manager's answer once every member's datapath runs the new version (or the error, nothing applied).</summary>
public sealed record FlowCommandResult(int Affected, long Version, string? Error) : IClusterMessage;

/// <summary>
/// Phase one of a change, manager to each member's datapath: the change itself (not the resulting table), in parts.
/// The member checks that it is at <c>Version - 1</c> and parses the lines, stages them, and answers
/// <see cref="FlowDeltaPrepared"/> after the last part; nothing is applied before <see cref="FlowDeltaCommit"/>.
/// </summary>
public sealed record FlowDelta(long Version, byte Kind, bool Strict, string[] Lines, bool More) : IClusterMessage;

/// <summary>A member staged the change (Error null), or cannot (Error says why; <see cref="Have"/> is its version).</summary>
public sealed record FlowDeltaPrepared(string Node, long Version, long Have, string? Error) : IClusterMessage;

/// <summary>Phase two: apply the staged change (<see cref="Apply"/>) or drop it (abort). Answered by <see cref="FlowSetApplied"/>.</summary>
public sealed record FlowDeltaCommit(long Version, bool Apply) : IClusterMessage;

public sealed record FlowSetApplied(string Node, long Version) : IClusterMessage;

/// <summary>A member's datapath tells the manager which version it runs (at start and every few seconds); a manager
/// with a newer one answers with its table as <see cref="FlowSnapshotPart"/>s.</summary>
public sealed record FlowSync(string Node, long Have) : IClusterMessage;

/// <summary>A whole flow table in parts (catch-up of a member that joined or fell behind, or a manager that starts
/// and reads the newest table a member has). Applied when the last part (<see cref="More"/> false) arrives.</summary>
public sealed record FlowSnapshotPart(long Version, string[] Lines, bool More) : IClusterMessage;

/// <summary>A starting manager asks a member's datapath for its version (answered <see cref="FlowSync"/>) or, with
/// <see cref="Snapshot"/>, for its table in <see cref="FlowSnapshotPart"/>s.</summary>
public sealed record FlowStateQuery(bool Snapshot) : IClusterMessage;

/// <summary>Asks a node's datapath for its dump-flows lines (with its own counters).</summary>
public sealed record DumpFlows(string? Match) : IClusterMessage;

public sealed record DumpFlowsReply(string[] Lines, string? Error) : IClusterMessage;
