namespace Switch.Contracts.Cluster;

/// <summary>packet-out: frames enter the node's table 0 as if received on <see cref="InPort"/>.</summary>
public sealed record InjectFrames(uint InPort, byte[][] Frames) : IClusterMessage;

public sealed record InjectedFrame(int Index, byte CtState, ushort CtZone, uint CtMark, uint[] Outputs, string? Drop) : IClusterMessage;

public sealed record InjectFramesReply(string Node, InjectedFrame[] Frames) : IClusterMessage;

/// <summary>Asks a node for what `dswitch ctl cluster` shows of it.</summary>
public sealed record GetNodeInfo() : IClusterMessage;

/// <summary>A node's name and control URL, and its conntrack traffic: queries sent, batches and the queries they carried,
/// queries that timed out or were refused (back-pressure), packets parked waiting for answers, decisions taken locally
/// under a lease (the fast path) and the connections lent to this node now.</summary>
public sealed record NodeInfo(string Name, string ApiUrl, long CtQueries, long CtBatches, long CtBatchedQueries, long CtTimeouts,
    long CtRefused, int CtPending, long CtLocal = 0, int LeasesHeld = 0) : IClusterMessage;

/// <summary>Asks a node's datapath for the connection entities its shard directory knows to hold a connection, started
/// or passivated with their state kept in memory (the fast path); with the running entities of its region state they
/// are every connection the node hosts.</summary>
public sealed record GetParkedEntities() : IClusterMessage;

public sealed record ParkedEntities(string[] EntityIds) : IClusterMessage;

/// <summary>dump-conntrack of the connections parked on a node (born lent or passivated), straight from their packed
/// state, without starting their entities. Answered in parts of at most <see cref="ParkedDump.PartSize"/> entities
/// (a remote frame is bounded), in order, the last one marked; <see cref="ParkedDump.EntityIds"/> names every parked
/// entity a part covered.</summary>
public sealed record DumpParked(ushort? Zone) : IClusterMessage;

public sealed record ParkedDump(string[] EntityIds, string[] Lines, bool Last) : IClusterMessage
{
    public const int PartSize = 500;
}
