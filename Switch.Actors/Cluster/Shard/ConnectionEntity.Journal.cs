using Akka.Actor;
using Akka.Persistence;
using Switch.Core.Conntrack;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>A connection entity's memory across its own restarts: what it reads back when it starts (its parked state
/// from the relay, or its journal in a durable cluster), and what it journals (<see cref="ConnSaved"/> when the class,
/// the lease or the expectations change, or the timer moved by half a timeout; <see cref="ConnForgotten"/> when the
/// connection is gone).</summary>
public sealed partial class ConnectionEntity
{
    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: ConnSaved s }: _saved = s; break;
            case ConnSaved s: _saved = s; break;
            case ConnForgotten: _saved = null; break;
            case RecoveryCompleted:
                _entityId = Uri.UnescapeDataString(Self.Path.Name);
                // First the relay: it may keep this entity's parked state, and it is told what the entity handles.
                string shard = _shard = Uri.UnescapeDataString(Context.Parent.Path.Name);
                Region.Tell(new ClaimState(BatchRelayEntity.EntityId(shard), _entityId), Self);
                RestoreJournaled();
                break;
        }
    }

    /// <summary>Passivated (or born, in the relay) with its connection's state kept in memory: back from it, no journal
    /// read (clusters without a journal only).</summary>
    private void Unpark(ParkedConn parked)
    {
        _engine.Adopt(parked.Image);
        _lease.Restore(parked.Holder, parked.Epoch, parked.Central);
        _consulted = true;
        ArmTimer();
    }

    /// <summary>A connection journaled before its node died comes back here (remember-entities restarts it).</summary>
    private void RestoreJournaled()
    {
        if (_saved is null) return;
        var c = _engine.Restore(_saved.Conn);
        if (c is null)
        {
            // Its deadline passed while no node held it: expired, as it would have.
            Forget(() => StopIfEmpty());
            return;
        }
        _consulted = true;
        foreach (var e in _saved.Expectations)
            _engine.RestoreExpectation(c, ExpectWire.Key(e), (CtAlg)e.Helper, e.ExpiresUs);
        // Re-register the copies (idempotent), in case their entities lost them too.
        foreach (var e in _engine.OwnExpectations())
        {
            var data = ExpectWire.From(e, _entityId);
            _published[e.Key] = data;
            Region.Tell(new ExpectRegister(ExpectWire.EntityId(e.Key), data));
            _ = Index.PublishAsync(ExpectWire.EntityId(e.Key), data.ExpiresUs);
        }
        RestoreLease(_saved);
        ArmTimer();
    }

    /// <summary>The journal says a node held the lease: unless that node has left the cluster, it may still be
    /// deciding the connection, so it stays the holder and the next packet from elsewhere takes the connection back
    /// from it (with its latest state). A holder that is gone takes its lease with it.</summary>
    private void RestoreLease(ConnSaved saved)
    {
        if (saved.Central) { _lease.Restore(null, 0, central: true); return; }
        if (saved.Holder is not { } path || saved.LeaseEpoch == 0 || Lendable() is null) return;
        var holder = ((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(path);
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var node = holder.Path.Address.HasGlobalScope ? holder.Path.Address : cluster.SelfAddress;
        var state = cluster.State;
        bool alive = state.Members.Any(m => m.Address.Equals(node) && m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.WeaklyUp)
            && !state.Unreachable.Any(m => m.Address.Equals(node));
        if (!alive) return;
        _lease.Restore(holder, saved.LeaseEpoch, central: false);
    }

    /// <summary>Journals the connection's state when a change that matters happened (or its timer moved past the
    /// last checkpoint by half a timeout), then runs <paramref name="then"/>; forgets it when it is gone.</summary>
    private void Checkpoint(Action then)
    {
        ArmTimer();
        var c = _engine.Single();
        if ((!_durable && !_replicated) || (c is null && _saved is null)) { then(); return; }
        if (c is null) { Forget(then); return; }
        // Replicas keep the whole image (the TCP windows too); the journal its durable part.
        var rec = _replicated ? ConnImages.From(c) : ConnImages.From(c).Durable();
        var expectations = _published.Values.ToArray();
        long now = _clock.NowUs;
        long epoch = _lease.JournaledEpoch;
        bool changed = _saved is null || !_saved.Conn.SameClass(rec) || _saved.LeaseEpoch != epoch || _saved.Central != _lease.IsCentral
            || !_saved.Expectations.Select(e => e.DstPort).SequenceEqual(expectations.Select(e => e.DstPort))
            || rec.ExpiresUs - _saved.Conn.ExpiresUs > (_saved.Conn.ExpiresUs - _saved.SavedAtUs) / 2;
        if (!changed) { then(); return; }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        string? holder = _lease.Holder is null ? null : Akka.Serialization.Serialization.SerializedActorPath(_lease.Holder);
        var saved = new ConnSaved(rec, expectations, now, holder, epoch, _lease.IsCentral);
        if (_replicated) { ToReplicas(saved, then); return; }
        Persist(saved, e =>
        {
            JournalStats.Get(Context.System).Record(started);
            _saved = e;
            if (LastSequenceNr % SnapshotEvery == 0) SaveSnapshot(e);
            then();
        });
    }

    /// <summary>Replicated clusters: the record (null: the connection is gone) goes to this member's store, which
    /// replicates it; <paramref name="then"/> (the answer) runs once every replica has it. Meanwhile the entity
    /// handles only what the lease protocol needs; the rest waits.</summary>
    private void ToReplicas(ConnSaved? saved, Action then)
    {
        long token = ++_repToken;
        _replicating[token] = (saved, then);
        Replication.Get(Context.System).Store!.Tell(new Replicate(_shard, new[] { new ReplicaItem(_shard, _entityId, saved) }, token), Self);
    }

    /// <summary>Journals that the connection is gone, then deletes the entity's events and snapshots.</summary>
    private void Forget(Action then)
    {
        if (_replicated && _saved is not null) { ToReplicas(null, then); return; }
        if (!_durable || _saved is null) { _saved = null; then(); return; }
        Persist(new ConnForgotten(_clock.NowUs), _ =>
        {
            _saved = null;
            DeleteMessages(LastSequenceNr);
            DeleteSnapshots(new SnapshotSelectionCriteria(long.MaxValue));
            then();
        });
    }
}
