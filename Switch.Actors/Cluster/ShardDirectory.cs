using System.Collections.Concurrent;
using Akka.Actor;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// Per node, per shard: which connection entities hold something, so that a shard's relay answers lookups of
/// tuples with no committed connection itself, without starting an entity (a scan or a SYN flood makes no actors),
/// and so that a delegated connection's entity can passivate and come back with its state. Entries are created and
/// removed by the shard's relay only (single-threaded per shard); an entity updates its entry's fields.
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
    public string[] HeldIds() => _shards.Values.SelectMany(s => s.Where(kv => kv.Value.HasState || kv.Value.Parked is not null).Select(kv => kv.Key)).ToArray();

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
/// One connection entity's entry. <see cref="Outstanding"/>: queries the relay forwarded and the entity has not yet
/// answered; <see cref="HasState"/>: the entity holds a connection, expectation or lease (set before it counts an
/// answer, so Outstanding = 0 and !HasState together mean "nothing there"); <see cref="Parked"/>: the compact state of
/// a passivated entity whose connection is lent.
/// </summary>
public sealed class DirEntry
{
    public int Outstanding;
    public volatile bool HasState;
    public volatile ParkedConn? Parked;
}

/// <summary>What a passivated entity keeps in memory: the connection's whole state packed in one array
/// (<see cref="ConnImages.Packed"/>: 10 words, 19 for TCP), the lease (holder, epoch) and whether the connection proved asymmetric.
/// Rebuilt into the entity on its next message, without a journal read.</summary>
public sealed record ParkedConn(ulong[] State, IActorRef? Holder, long Epoch, bool Central);

/// <summary>Wakes a passivated entity (its connection's deadline passed while parked).</summary>
public sealed record WakeEntity(string EntityId);
