namespace Switch.Contracts.Cluster;

// Delegated tracking (the fast path): a connection's entity stays the authority, but while the connection's
// packets enter one node it lends that node's datapath a lease, and the node decides them locally with the same
// engine. Protocol and crash points: docs/fast-path.md.

/// <summary>Carried by an answer: the entity lends (or refreshes) the lease <see cref="Epoch"/> on the connection to the
/// datapath it answers. The node starts deciding locally once none of its own queries to the entity is in flight.</summary>
public sealed record LeaseGrant(long Epoch, ConnImage Image) : IClusterMessage;

/// <summary>From the holder to the entity, through the region: what the failover issue makes durable changed (state
/// class, mark/label, a timer checkpoint), or, with a null <see cref="Image"/>, the connection is gone. In a durable
/// cluster a state-class change carries <see cref="AckId"/>: the holder holds the packet that made the change until the
/// entity has journaled it (<see cref="LeaseReportAck"/>), as the entity itself journals before it answers.</summary>
public sealed record LeaseReport(string EntityId, long Epoch, ConnImage? Image, long AckId = 0) : IClusterMessage;

/// <summary>The entity has journaled (or already held) what report <see cref="AckId"/> carried.</summary>
public sealed record LeaseReportAck(long AckId) : IClusterMessage;

/// <summary>From the entity to the holder: give the connection back (a packet entered another node, a flush, the
/// entity's own timer).</summary>
public sealed record LeaseRevoke(string EntityId, long Epoch) : IClusterMessage;

/// <summary>The holder's answer to <see cref="LeaseRevoke"/>: its latest image (<see cref="Image"/>), or that the
/// connection is gone (<see cref="Gone"/>), or neither (the holder had not started deciding: the entity's own state
/// is the latest).</summary>
public sealed record LeaseReturn(string EntityId, long Epoch, ConnImage? Image, bool Gone) : IClusterMessage;

/// <summary>Answers for one node's datapath travelling together (the reply side of <see cref="CtQueryBatch"/>).</summary>
public sealed record CtReplyBatch(CtReply[] Replies) : IClusterMessage;
