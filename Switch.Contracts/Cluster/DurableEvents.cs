namespace Switch.Contracts.Cluster;

/// <summary>
/// Marker for what conntrack entities write to the journal. These are serialized as JSON (not Hyperion), so
/// stored events can evolve: new fields with defaults read old rows.
/// </summary>
public interface IDurableEvent { }

/// <summary>A connection entity's state after a change that matters (its <see cref="ConnImage.Durable"/> image: commit, TCP state class, mark/label, its
/// expectations, a timer checkpoint, the lease: which datapath holds it, <see cref="Holder"/> as a serialized actor
/// path, and its epoch). Each event replaces the previous one; it is also the snapshot. An entity that restarts
/// (its shard restarted, its node died) knows from it that a node may still decide the connection, and takes the
/// connection back from that node before deciding anything itself. The same record is what replicas keep
/// (<see cref="ReplicaItem"/>; there with the whole image, TCP windows included), with <see cref="Central"/>: the
/// connection proved asymmetric and is decided by its entity only.</summary>
public sealed record ConnSaved(ConnImage Conn, ExpectData[] Expectations, long SavedAtUs, string? Holder = null, long LeaseEpoch = 0,
    bool Central = false) : IDurableEvent;

/// <summary>The connection is gone (teardown, expiry, flush): after it, the entity's events are deleted.</summary>
public sealed record ConnForgotten(long AtUs) : IDurableEvent;

/// <summary>A durable shard's relay recorded connection entities that may now hold journaled state.</summary>
public sealed record RelayHeld(string[] Ids) : IDurableEvent;

/// <summary>Those entities hold nothing any more.</summary>
public sealed record RelayReleased(string[] Ids) : IDurableEvent;

/// <summary>A relay's whole list at one point (its snapshot).</summary>
public sealed record RelayHeldSnapshot(string[] Ids) : IDurableEvent;

/// <summary>An expectation entity holds <see cref="Data"/>.</summary>
public sealed record ExpectSaved(ExpectData Data) : IDurableEvent;

/// <summary>An expectation entity's expectation was used, withdrawn or expired.</summary>
public sealed record ExpectCleared() : IDurableEvent;

/// <summary>The whole flow table as last changed, journaled when the cluster has a journal.</summary>
public sealed record FlowSetSaved(FlowSet Set) : IDurableEvent;

/// <summary>One flow change, journaled when the cluster has a journal (a <see cref="FlowSetSaved"/> snapshot is written
/// every so many changes; recovery replays the changes after it).</summary>
public sealed record FlowDeltaSaved(long Version, byte Kind, bool Strict, string[] Lines) : IDurableEvent;

/// <summary>The flow journal's answer at start (null: nothing journaled).</summary>
public sealed record FlowSetLoaded(FlowSet? Set);
