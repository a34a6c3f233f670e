namespace Switch.Contracts.Cluster;

/// <summary>One replicated record of a shard, keyed by entity id: a connection entity's state (<see cref="Conn"/>, the
/// same record the journal keeps, with the whole image: the TCP windows too), an expectation entity's
/// (<see cref="Expect"/>), or neither: the record is gone.</summary>
public sealed record ReplicaItem(string Shard, string Key, ConnSaved? Conn = null, ExpectData? Expect = null);

/// <summary>A shard owner's store → a replica member's store: records in the order they changed, many shards and
/// connections per message. <see cref="Reset"/>: this message starts the shard's whole copy (the replica clears what
/// it kept of that shard first); <see cref="Whole"/>: with this message the copy of that shard is whole (the last part
/// of a copy; a replica that took a shard over between the two fetches the rest from the other members).
/// Acknowledged by <see cref="ReplicaAck"/> with the same <see cref="Seq"/>.</summary>
public sealed record ReplicaBatch(long Seq, ReplicaItem[] Items, string? Reset = null, string? Whole = null) : IClusterMessage;

/// <summary>A replica member has applied <see cref="ReplicaBatch"/> <see cref="Seq"/>.</summary>
public sealed record ReplicaAck(long Seq) : IClusterMessage;

/// <summary>A member that takes a shard over (and holds no copy of it) asks another member for its copy.</summary>
public sealed record ReplicaFetch(string Shard) : IClusterMessage;

/// <summary>The answer to <see cref="ReplicaFetch"/>, in parts; <see cref="Last"/> ends it, <see cref="Found"/> false:
/// this member keeps no copy of the shard.</summary>
public sealed record ReplicaCopy(string Shard, ReplicaItem[] Items, bool Last, bool Found) : IClusterMessage;

/// <summary>The shard's owner → a member that is no longer one of its replicas: forget the copy.</summary>
public sealed record ReplicaDrop(string Shard) : IClusterMessage;
