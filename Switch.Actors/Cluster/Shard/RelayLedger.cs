using Akka.Actor;
using Akka.Persistence;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// A durable shard's list of connection entities that may hold journaled state, kept by the shard's relay in its own
/// journal stream ("relay-{shard}"). The relay records an entity before it forwards the first commit to it, and
/// releases it once the entity holds nothing, so after any failover the list read back is a superset of the entities
/// with journaled connections: whatever is not on it holds nothing, and the relay may answer lookups for it without
/// starting an entity. A thin persistent shell: the relay owns the set and decides; this only writes and reads it.
/// </summary>
public sealed class RelayLedger : UntypedPersistentActor
{
    /// <summary>Record these ids; answered with <see cref="Held"/> once written.</summary>
    public sealed record Hold(string[] Ids);
    public sealed record Held(string[] Ids);
    /// <summary>Forget these ids (no answer).</summary>
    public sealed record Release(string[] Ids);
    /// <summary>Sent to the parent once recovered: every id held.</summary>
    public sealed record Loaded(string[] Ids);

    private const int SnapshotEvery = 500;
    private readonly string _shardId;
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);

    public RelayLedger(string shardId) => _shardId = shardId;

    public static Props Props(string shardId) => Akka.Actor.Props.Create(() => new RelayLedger(shardId));

    public override string PersistenceId => "relay-" + _shardId;

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: RelayHeldSnapshot s }:
                _held.Clear();
                _held.UnionWith(s.Ids);
                break;
            case RelayHeld h: _held.UnionWith(h.Ids); break;
            case RelayReleased r: _held.ExceptWith(r.Ids); break;
            case RecoveryCompleted: Context.Parent.Tell(new Loaded(_held.ToArray())); break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case Hold h:
            {
                var replyTo = Sender;
                PersistAsync(new RelayHeld(h.Ids), e =>
                {
                    _held.UnionWith(e.Ids);
                    replyTo.Tell(new Held(e.Ids));
                    MaybeSnapshot();
                });
                break;
            }
            case Release r:
                PersistAsync(new RelayReleased(r.Ids), e =>
                {
                    _held.ExceptWith(e.Ids);
                    MaybeSnapshot();
                });
                break;
            case SaveSnapshotSuccess s:
                // The snapshot holds the whole set: the events before it are not needed again.
                DeleteMessages(s.Metadata.SequenceNr);
                break;
            case SaveSnapshotFailure or DeleteMessagesSuccess or DeleteMessagesFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void MaybeSnapshot()
    {
        if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(new RelayHeldSnapshot(_held.ToArray()));
    }
}
