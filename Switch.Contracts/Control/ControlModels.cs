namespace Switch.Contracts.Control;

// The control plane's request and answer shapes, shared by the node's HTTP API, the `dswitch ctl` client and
// the cluster. Plain records: JSON on the wire (System.Text.Json, camelCase).

/// <summary>Flow text lines to add (add-flow / add-flows), in order.</summary>
public sealed record AddFlowsRequest(IReadOnlyList<string> Flows);

/// <summary>mod-flows: replace the actions of the flows that <see cref="Flow"/>'s match selects (strict: exactly).</summary>
public sealed record ModFlowsRequest(string Flow, bool Strict);

/// <summary>del-flows: remove the flows <see cref="Match"/> selects (all flows when empty).</summary>
public sealed record DelFlowsRequest(string? Match, bool Strict);

/// <summary>Answer to a flow change: how many flows it touched and the cluster-wide flow-table version after it.</summary>
public sealed record FlowModResult(int Affected, long Version);

public sealed record FlushConntrackRequest(ushort? Zone, string? Tuple);

public sealed record FlushConntrackResult(int Removed);

public sealed record TraceRequest(string Packet);

/// <summary>packet-out: frames enter node <see cref="Node"/>'s (or the serving node's) table 0 as if received on <see cref="InPort"/>.</summary>
public sealed record PacketOutRequest(string? Node, uint InPort, IReadOnlyList<string> PacketsHex);

public sealed record PacketOutFrame(int Index, string CtState, ushort CtZone, uint CtMark, IReadOnlyList<uint> Outputs, string? Drop);

public sealed record PacketOutResult(string Node, IReadOnlyList<PacketOutFrame> Frames);

/// <summary>A member: <see cref="Connections"/> = connection entities it hosts; <see cref="Leases"/> = connections lent
/// to its datapath (decided there, the fast path). Replicated clusters: <see cref="ReplicaRecords"/> = records it keeps
/// as a replica of other members' shards, <see cref="CopiesPending"/> = whole-shard copies to new replicas still on
/// their way (0: every shard it owns is on all its replicas), <see cref="ShardReplicas"/> = each conntrack shard it owns
/// with the members that keep its replicas (<c>shard=address|address</c>).</summary>
public sealed record MemberStatus(string Name, string Address, string Status, IReadOnlyList<string> Roles, string ApiUrl,
    int Shards, int Connections, bool Self, int Leases = 0, int ReplicaRecords = 0, int CopiesPending = 0,
    IReadOnlyList<string>? ShardReplicas = null);

public sealed record ClusterStatus(string Leader, IReadOnlyList<MemberStatus> Members);

/// <summary>Every error the API returns: one message a person can act on (bad flow text: its column and expected token).</summary>
public sealed record ErrorResponse(string Error);
