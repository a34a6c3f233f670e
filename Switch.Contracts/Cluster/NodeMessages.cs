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

/// <summary>dump-conntrack of the connections parked on a node (born lent or passivated), straight from their images
/// (<see cref="ConnImage"/>), without starting their entities. Answered in parts of at most <see cref="ParkedDump.PartSize"/> entities
/// (a remote frame is bounded), in order, the last one marked; <see cref="ParkedDump.EntityIds"/> names every parked
/// entity a part covered.</summary>
public sealed record DumpParked(ushort? Zone) : IClusterMessage;

public sealed record ParkedDump(string[] EntityIds, string[] Lines, bool Last) : IClusterMessage
{
    public const int PartSize = 500;
}

/// <summary>dump-conntrack of one member: the member reads its own connections (running entities and parked state),
/// applies the filter there, and streams the lines to the sender in <see cref="ConntrackPage"/>s of at most
/// <see cref="ClusterLimits.PartBytes"/>, one at a time: the next page leaves when the previous one is acknowledged, so
/// the asking member holds at most one page per member whatever the table holds.</summary>
public sealed record DumpMemberConntrack(long Request, ushort? Zone) : IClusterMessage;

/// <summary>A page of a member's dump; <see cref="AckTo"/> (a serialized actor path) takes the <see cref="ConntrackPageAck"/>
/// that releases the next. <see cref="Error"/>: the member could not finish (the dump is incomplete).</summary>
public sealed record ConntrackPage(long Request, string[] Lines, bool More, string AckTo, string? Error = null) : IClusterMessage;

public sealed record ConntrackPageAck(long Request) : IClusterMessage;

/// <summary>Asks a member for its conntrack counts, counted there (never the entity ids).</summary>
public sealed record GetMemberCounts() : IClusterMessage;

/// <summary>Connections a member hosts (running and parked entities), the shards that hold them, expectations and
/// reassemblies in progress, and new connections it refused because its table was full.</summary>
/// <summary>A member's counts. Replicated clusters: <paramref name="ReplicaShards"/> shards owned here whose replicas are
/// all whole, <paramref name="ReplicaRecords"/> records kept here for other owners, <paramref name="CopiesPending"/>
/// whole-shard copies to new replicas not yet acknowledged, <paramref name="Placement"/> each shard owned here with its
/// replica members (<c>shard=address|address</c>).</summary>
public sealed record MemberCounts(int Connections, int Shards, int Expectations, int Reassembly, long Refused,
    int ReplicaShards = 0, int ReplicaRecords = 0, int CopiesPending = 0, string[]? Placement = null) : IClusterMessage;

/// <summary>flush-conntrack on one member, filtered there; answered with the number removed (<see cref="FlushEntityReply"/>).</summary>
public sealed record FlushMemberConntrack(ushort? Zone, string? Tuple) : IClusterMessage;

/// <summary>Asks a member's datapath for its drops by reason (the status page).</summary>
public sealed record GetMemberDrops() : IClusterMessage;

public sealed record MemberDrops(string[] Reasons, long[] Counts) : IClusterMessage;
