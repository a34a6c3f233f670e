using System.Collections.Concurrent;
using Akka.Actor;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// Per node, per shard: which connection entities hold something, so that a shard's relay answers lookups of
/// tuples with no committed connection itself, without starting an entity (a scan or a SYN flood makes no actors),
/// and so that a delegated connection's entity can passivate and come back with its state.
/// Each shard's entries belong to that shard's relay (<see cref="BatchRelayEntity"/>): only it writes them, on its own
/// thread. Entities never touch them; they tell the relay what changed (<see cref="EntitySettled"/>,
/// <see cref="EntityParked"/>) and take their parked state back from it by message (<see cref="ClaimState"/>).
/// Other actors (dumps, metrics, counts) only read, and what they read is a moment's view, never a decision's input.
/// </summary>
public sealed class ShardDirectory : IExtension
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, DirEntry>> _shards = new();

    public static ShardDirectory Get(ActorSystem system) => system.WithExtension<ShardDirectory, ShardDirectoryProvider>();

    public ConcurrentDictionary<string, DirEntry> Shard(string shardId) => _shards.GetOrAdd(shardId, _ => new ConcurrentDictionary<string, DirEntry>());

    /// <summary>Entities passivated (or born lent) with their state here, and that state.</summary>
    public IEnumerable<(string Id, ParkedConn Parked)> ParkedEntries()
    {
        foreach (var s in _shards.Values)
            foreach (var kv in s)
                if (kv.Value.Parked is { } p) yield return (kv.Key, p);
    }

    /// <summary>Entities passivated with their state here.</summary>
    public string[] ParkedIds() => ParkedEntries().Select(e => e.Id).ToArray();

    /// <summary>Entities that hold a connection here, started or passivated. Unlike the region state, an entity in the
    /// middle of passivating is never missing.</summary>
    public string[] HeldIds() => _shards.Values.SelectMany(s => s.Where(kv => kv.Value.HasState || kv.Value.Parked is not null || kv.Value.Restored).Select(kv => kv.Key)).ToArray();

    private long _refused;

    /// <summary>Connection entities on this node that hold or may hold a connection (entries of every shard): what the
    /// member's conntrack limit (<c>MaxConnections</c>) is checked against. Cheap: a count per shard.</summary>
    public int Connections()
    {
        int n = 0;
        foreach (var s in _shards.Values) n += s.Count;
        return n;
    }

    /// <summary>New connections this member refused because its table was full.</summary>
    public long Refused => Interlocked.Read(ref _refused);
    public void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>Connection entries on this node (all shards), and how many are passivated.</summary>
    public (int Entries, int Parked) Counts()
    {
        int n = 0, p = 0;
        foreach (var s in _shards.Values)
            foreach (var e in s.Values) { n++; if (e.Parked is not null) p++; }
        return (n, p);
    }
}

public sealed class ShardDirectoryProvider : ExtensionIdProvider<ShardDirectory>
{
    public override ShardDirectory CreateExtension(ExtendedActorSystem system) => new();
}

/// <summary>
/// One connection entity's entry, written by its shard's relay only. <see cref="Outstanding"/>: messages the relay
/// forwarded that the entity has not reported handled; <see cref="HasState"/>: the entity holds a connection,
/// expectation or lease (as its last <see cref="EntitySettled"/> said, which also counts what it handled, so
/// Outstanding = 0 and !HasState together mean "nothing there"); <see cref="Parked"/>: the compact state of a
/// passivated (or born-lent) entity, until the entity claims it back.
/// </summary>
public sealed class DirEntry
{
    public int Outstanding;
    public volatile bool HasState;
    public volatile ParkedConn? Parked;
    /// <summary>Replicated clusters: the record the replicas keep of this entity, while the relay holds its state
    /// (parked, or <see cref="Restored"/>: taken over from a replica and not yet claimed by a started entity).</summary>
    public volatile ConnSaved? Saved;
    public volatile bool Restored;
}

/// <summary>A connection entity that starts asks its shard's relay (through the region) for the state it parked: the
/// relay answers <see cref="Claimed"/> (its sender is the relay, which the entity reports to from then on).</summary>
public sealed record ClaimState(string RelayId, string EntityId);

/// <summary>The relay's answer to <see cref="ClaimState"/>: the parked state, or null; the relay's entry keeps
/// <c>HasState</c> until the entity says otherwise. Replicated clusters: <paramref name="Saved"/> is what the replicas
/// keep of it, and <paramref name="Restore"/> says the entity starts from that record (taken over from a replica).</summary>
public sealed record Claimed(ParkedConn? Parked, ConnSaved? Saved = null, bool Restore = false);

/// <summary>Entity → its relay: it handled <paramref name="Handled"/> forwarded messages and now holds something or not.</summary>
public sealed record EntitySettled(string EntityId, int Handled, bool Holds);

/// <summary>Entity → its relay, as it stops passivated: the state to keep for its next start (replicated clusters:
/// <paramref name="Parked"/> null when more than an image holds, and <paramref name="Saved"/> the record to restore
/// from).</summary>
public sealed record EntityParked(string EntityId, ParkedConn? Parked, ConnSaved? Saved = null);

/// <summary>What a passivated entity keeps in memory: the connection's whole state (<see cref="ConnImage"/>: 10 words,
/// 19 for TCP), the lease (holder, epoch) and whether the connection proved asymmetric.
/// Rebuilt into the entity on its next message, without a journal read.</summary>
public sealed record ParkedConn(ConnImage Image, IActorRef? Holder, long Epoch, bool Central);

/// <summary>Wakes a passivated entity (its connection's deadline passed while parked).</summary>
public sealed record WakeEntity(string EntityId);
