namespace Switch.Contracts.Cluster;

/// <summary>The whole flow table as canonical flow text, with the version of the change that produced it.</summary>
public sealed record FlowSet(long Version, string[] Lines) : IClusterMessage;

public static class FlowCommandKind
{
    public const byte Add = 0, Modify = 1, Delete = 2;
}

/// <summary>A flow change sent to the cluster's flow manager (a singleton, so changes apply in one order).</summary>
public sealed record FlowCommand(byte Kind, string[] Lines, bool Strict) : IClusterMessage;

/// <summary>The manager's answer once every member's datapath runs the new version (or the error, nothing applied).</summary>
public sealed record FlowCommandResult(int Affected, long Version, string? Error) : IClusterMessage;

/// <summary>Pushes a flow set to a node's datapath, which answers <see cref="FlowSetApplied"/>.</summary>
public sealed record ApplyFlowSet(FlowSet Set) : IClusterMessage;

public sealed record FlowSetApplied(string Node, long Version) : IClusterMessage;

/// <summary>Asks a node's datapath for its dump-flows lines (with its own counters).</summary>
public sealed record DumpFlows(string? Match) : IClusterMessage;

public sealed record DumpFlowsReply(string[] Lines, string? Error) : IClusterMessage;
