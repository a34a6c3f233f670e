using Akka.Actor;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// One per shard ("b/{shard}"): every conntrack query a node sends for this shard comes through here (many per
/// message when they travel batched) and is handed to its entity through the shard (the parent), keeping the original
/// sender. Because every query for an entity passes the same relay, their order is kept.
/// It is also the shard's gate (clusters without a journal): a query for a connection entity that holds nothing,
/// with no answer outstanding, that does not commit and matches no expectation key, is answered here by a scratch
/// engine — what the empty entity would have answered — so uncommitted traffic (scans, SYN floods) starts no actor.
/// The gate also commits: a committing query for an empty entity, from a node that takes leases, with no helper and
/// no expectation key that may match, is decided here too, and the connection is born lent to the asking node — its
/// entity's compact state goes straight into the shard directory (<see cref="ParkedConn"/>), exactly as if the
/// entity had committed, granted the lease and passivated, without starting it. The holder's reports on such a parked
/// connection update its parked image here; the entity starts only when something needs it (a packet entering
/// another node, a flush, a dump, its deadline).
/// In a durable cluster the relay keeps, in its own journal stream (<see cref="RelayLedger"/>), the list of entities
/// that may hold a journaled connection: an entity goes on it before the relay forwards it its first commit, and off it
/// once it holds nothing. After a failover the list comes back before the relay handles anything, so the gate answers
/// lookups for entities not on it (they hold nothing in the journal either) without starting them; it never commits
/// (the entity journals the commit before it answers).
/// In a replicated cluster (<see cref="Replication"/>) the relay first loads its shard from this member's replica
/// store (<see cref="LoadShard"/>: after a failover, the copy this member kept as a replica) and decides nothing
/// before: each connection there becomes an entry whose entity restores from it when it starts. What the relay changes
/// itself (a connection born lent, a report applied in place) is replicated before the answer (or the report's
/// acknowledgement) leaves: one <see cref="Replicate"/> per batch.
/// </summary>
public sealed class BatchRelayEntity : UntypedActor, IWithTimers, IWithUnboundedStash
{
    public const string Prefix = "b/";
    private sealed class Sweep { public static readonly Sweep Instance = new(); }

    private readonly IClock _clock;
    private readonly bool _durable;
    // Open from the start without a journal; in a durable cluster once the ledger has been read back.
    private bool _gate;
    // Durable: entities that may hold a journaled connection, and the queries waiting for an entity's first record.
    private readonly HashSet<string> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<(object Message, IActorRef Sender)>> _holding = new(StringComparer.Ordinal);
    private List<string>? _toHold;
    private IActorRef? _ledger;
    private readonly ConntrackEngine _scratch;
    private readonly int _maxConnections;
    private ShardDirectory _directory = null!;
    private System.Collections.Concurrent.ConcurrentDictionary<string, DirEntry> _dir = null!;
    private IActorRef? _replies;
    // Replicated: the shard's id, and per Replicate token what waits for it (answers, report acknowledgements).
    private readonly bool _replicated;
    private string _shard = "";
    private long _token;
    private readonly Dictionary<long, List<(IActorRef To, object Message)>> _awaiting = new();
    private List<ReplicaItem>? _repItems;
    private List<(IActorRef To, object Message)>? _repSends;

    private readonly EntityCounters _counters = EntityCounters.Get(Context.System);

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public BatchRelayEntity(IClock clock, ConntrackSettings settings, bool durable)
    {
        _clock = clock;
        _durable = durable;
        _replicated = !durable && Replication.Get(Context.System).On;
        _gate = !durable && !_replicated;
        _scratch = new ConntrackEngine(clock, settings);
        _maxConnections = settings.MaxConnections;
    }

    public static Props Props(IClock clock, ConntrackSettings settings, bool durable) =>
        Akka.Actor.Props.Create(() => new BatchRelayEntity(clock, settings, durable));

    public static string EntityId(string shardId) => Prefix + shardId;

    protected override void PreStart()
    {
        var shard = _shard = Uri.UnescapeDataString(Self.Path.Name)[Prefix.Length..];
        if (_replicated) Replication.Get(Context.System).Store!.Tell(new LoadShard(shard));
        _directory = ShardDirectory.Get(Context.System);
        _dir = _directory.Shard(shard);
        if (_durable)
        {
            _ledger = Context.ActorOf(RelayLedger.Props(shard), "ledger");
            Context.Watch(_ledger);
        }
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, TimeSpan.FromSeconds(10));
    }

    /// <summary>A record taken over from a replica (or the journal): a connection's entity restores from it when it
    /// starts; an expectation's entity is started now (it holds its key in every member's index).</summary>
    private void Restore(ReplicaItem item)
    {
        if (item.Conn is { } saved)
        {
            var e = _dir.GetOrAdd(item.Key, _ => new DirEntry());
            e.Saved = saved;
            e.Restored = true;
            e.HasState = true;
        }
        else if (item.Expect is not null) Context.Parent.Tell(new WakeEntity(item.Key));
    }

    protected override void PostStop()
    {
        // Handed off or stopping: this member no longer owns the shard (its copy stays, as a replica's would).
        if (_replicated) Replication.Get(Context.System).Store!.Tell(new ReleaseShard(_shard));
        base.PostStop();
    }

    protected override void OnReceive(object message)
    {
        if (!_gate && message is not (RelayLedger.Loaded or Terminated or ShardLoaded or Replicated))
        {
            // The ledger or the shard's replica is being read back: nothing is decided before the relay knows what
            // the journal or the replicas hold.
            Stash.Stash();
            return;
        }
        switch (message)
        {
            case CtQueryBatch b:
                if (b.Reports is not null) foreach (var r in b.Reports) Report(r);
                foreach (var q in b.Queries) Route(q);
                if (_toHold is { Count: > 0 })
                {
                    _ledger!.Tell(new RelayLedger.Hold(_toHold.ToArray()));
                    _toHold.Clear();
                }
                ReplicateBatch();
                break;
            case LateRecords late:
                foreach (var item in late.Items)
                {
                    _dir.TryGetValue(item.Key, out var e);
                    // An entity that started here already holds its own state; the rest takes the late record.
                    if (e is not null && !e.Restored && (e.HasState || e.Outstanding > 0 || e.Parked is not null)) continue;
                    if (item.Conn is null && item.Expect is null) { if (e is not null) _dir.TryRemove(item.Key, out _); continue; }
                    Restore(item);
                }
                break;
            case ShardLoaded loaded:
                foreach (var item in loaded.Items) Restore(item);
                _gate = true;
                Stash.UnstashAll();
                break;
            case Replicated done:
                if (_awaiting.Remove(done.Token, out var sends)) Send(sends);
                break;
            case WakeEntity:
                // Started by the replica store after a failover (the shard is hosted again, and so re-replicated).
                break;
            case RelayLedger.Loaded l:
                foreach (var id in l.Ids)
                {
                    _held.Add(id);
                    _dir.GetOrAdd(id, _ => new DirEntry()).HasState = true;
                }
                _gate = true;
                Stash.UnstashAll();
                break;
            case RelayLedger.Held h:
                foreach (var id in h.Ids)
                {
                    if (!_holding.Remove(id, out var waiting)) continue;
                    // Recorded: the entity's queries go on, in the order they came.
                    while (waiting.TryDequeue(out var w)) Forward(id, w.Message, w.Sender);
                }
                break;
            case Terminated t when t.ActorRef.Equals(_ledger):
                // The ledger could not write (journal down): restart with it rather than decide without it.
                throw new InvalidOperationException("the relay's ledger stopped");
            case Sweep:
                SweepIdle();
                break;
            case ClaimState c:
            {
                // A starting entity takes back what it parked (passivated, or born lent here); the entry stays marked
                // as holding until the entity says otherwise.
                ParkedConn? parked = null;
                ConnSaved? saved = null;
                bool restore = false;
                if (_dir.TryGetValue(c.EntityId, out var e) && (e.Parked is not null || e.Restored))
                {
                    parked = e.Parked;
                    saved = e.Saved;
                    restore = e.Restored;
                    e.Parked = null;
                    e.Saved = null;
                    e.Restored = false;
                    e.HasState = true;
                }
                Sender.Tell(new Claimed(parked, saved, restore));
                break;
            }
            case EntitySettled st:
                if (_dir.TryGetValue(st.EntityId, out var entry))
                {
                    entry.HasState = st.Holds;
                    entry.Outstanding = Math.Max(0, entry.Outstanding - st.Handled);
                }
                break;
            case EntityParked ep:
            {
                var e = _dir.GetOrAdd(ep.EntityId, _ => new DirEntry());
                e.Parked = ep.Parked;
                e.Saved = ep.Saved;
                e.Restored = ep.Parked is null && ep.Saved is not null;
                e.HasState = true;
                break;
            }
            default:
                Unhandled(message);
                break;
        }
    }

    private void Route(CtQuery q)
    {
        if (!_gate || !q.EntityId.StartsWith(CtRouting.ConnectionPrefix, StringComparison.Ordinal)) { Context.Parent.Forward(q); return; }
        if (q.Request.Commit && IsNew(q.EntityId) && _directory.Connections() >= _maxConnections)
        {
            // This member's conntrack table is full (nf_conntrack_max, per member): the new connection is refused and
            // its packet dropped, as the kernel drops one when no unassured entry can be evicted. Counted.
            _directory.CountRefused();
            (_replies ??= ConntrackReplies.Get(Context.System)).Tell(new ReplyBatcher.Out(Sender,
                new CtReply(q.Id, CtWireVerdict.Drop, CtDropReasons.TableFull, Array.Empty<ulong>(), null, 0)));
            return;
        }
        if (_durable)
        {
            if (_holding.TryGetValue(q.EntityId, out var waiting)) { waiting.Enqueue((q, Sender)); return; }
            if (q.Request.Commit && _held.Add(q.EntityId))
            {
                // The entity may journal a connection: it goes on the ledger first, then gets the query.
                _holding[q.EntityId] = new Queue<(object, IActorRef)>(new[] { ((object)q, Sender) });
                (_toHold ??= new List<string>()).Add(q.EntityId);
                return;
            }
        }
        _dir.TryGetValue(q.EntityId, out var e);
        // Parsed once on this node: the gate's expectation check and decision, or the entity, use this.
        var o = OpenedQuery.Open(q);
        if ((e is not null && (e.Outstanding > 0 || e.HasState)) || (_durable && _held.Contains(q.EntityId))
            || (q.Request.Commit && (_durable || !q.WantsLease || q.Request.Alg != 0)) || MayBeExpected(o))
        {
            Forward(q.EntityId, o, Sender);
            return;
        }
        if (e is not null) _dir.TryRemove(q.EntityId, out _);
        var reply = CtWire.Decide(_scratch, o);
        if (_scratch.Single() is { } c) reply = Born(q.EntityId, c, reply);
        else Interlocked.Increment(ref _counters.GateAnswered);
        SendAfterReplicas(Sender, reply);
    }

    /// <summary>No entity of this id holds anything or has anything on its way: a commit would create a connection.</summary>
    private bool IsNew(string entityId) =>
        !(_durable && _held.Contains(entityId)) && !_holding.ContainsKey(entityId)
        && (!_dir.TryGetValue(entityId, out var e) || (!e.HasState && e.Outstanding == 0 && e.Parked is null && !e.Restored));

    /// <summary>Hands a query or report to its entity, counted outstanding until the entity has handled it.</summary>
    private void Forward(string entityId, object message, IActorRef sender)
    {
        _dir.GetOrAdd(entityId, _ => new DirEntry()).Outstanding++;
        Context.Parent.Tell(message, sender);
    }

    /// <summary>The query committed a connection (no helper, nothing expected): it is lent to the asking datapath and
    /// its entity's state is parked in the directory, as the entity itself would have left it.</summary>
    private CtReply Born(string entityId, Connection c, CtReply reply)
    {
        _scratch.Remove(c);
        bool lendable = reply.Verdict == CtWireVerdict.Continue && c.Helper == CtAlg.None && c.Extras is null;
        var image = ConnImages.From(c);
        long epoch = lendable ? Random.Shared.NextInt64(1, long.MaxValue) : 0;
        var entry = _dir[entityId] = new DirEntry { HasState = true, Parked = new ParkedConn(image, lendable ? Sender : null, epoch, false) };
        Interlocked.Increment(ref _counters.CommittedHere);
        if (_replicated)
        {
            entry.Saved = Saved(entry.Parked!);
            Replicate(new ReplicaItem(_shard, entityId, entry.Saved));
        }
        if (!lendable) return reply;
        return reply with { Lease = new LeaseGrant(epoch, image) };
    }

    /// <summary>The record replicas keep of a parked connection.</summary>
    private ConnSaved Saved(ParkedConn p) => new(p.Image, Array.Empty<ExpectData>(), _clock.NowUs,
        p.Holder is null ? null : Akka.Serialization.Serialization.SerializedActorPath(p.Holder), p.Holder is null ? 0 : p.Epoch, p.Central);

    /// <summary>Queues a record for this batch's one <see cref="Replicate"/>.</summary>
    private void Replicate(ReplicaItem item) => (_repItems ??= new List<ReplicaItem>()).Add(item);

    /// <summary>Sends the answer (or acknowledgement) now, or once this batch's records are on the replicas.</summary>
    private void SendAfterReplicas(IActorRef to, object message)
    {
        if (_repItems is { Count: > 0 }) (_repSends ??= new()).Add((to, message));
        else Send(new List<(IActorRef, object)> { (to, message) });
    }

    private void ReplicateBatch()
    {
        if (_repItems is not { Count: > 0 }) return;
        long token = ++_token;
        Replication.Get(Context.System).Store!.Tell(new Replicate(_shard, _repItems.ToArray(), token));
        _repItems.Clear();
        if (_repSends is { Count: > 0 }) { _awaiting[token] = _repSends; _repSends = null; }
    }

    private void Send(List<(IActorRef To, object Message)> sends)
    {
        foreach (var (to, m) in sends)
            if (m is CtReply reply) (_replies ??= ConntrackReplies.Get(Context.System)).Tell(new ReplyBatcher.Out(to, reply));
            else to.Tell(m);
    }

    /// <summary>A holder's report: applied to the parked image when its entity is parked with nothing on its way to it
    /// (the relay alone writes the directory, and a starting entity claims its state from it by message); dropped when the entity holds nothing at all (the lease
    /// it describes is over); otherwise forwarded, counted like a query until the entity has handled it.</summary>
    private void Report(LeaseReport r)
    {
        if (!_gate) { Context.Parent.Forward(r); return; }
        if (_holding.TryGetValue(r.EntityId, out var waiting)) { waiting.Enqueue((r, Sender)); return; }
        if (!_dir.TryGetValue(r.EntityId, out var e) || (!e.HasState && e.Outstanding == 0 && e.Parked is null && !e.Restored))
        {
            if (r.AckId != 0) Sender.Tell(new LeaseReportAck(r.AckId));
            return;
        }
        if ((r.AckId == 0 || _replicated) && e.Outstanding == 0 && e.Parked is { } p && p.Epoch == r.Epoch && Sender.Equals(p.Holder))
        {
            // Parked, nothing on its way to the entity: the relay owns the state, and applies the report itself
            // (replicated first when it changed what replicas keep; a report that waits for it is acknowledged then).
            Interlocked.Increment(ref _counters.ReportsHere);
            if (r.Image is null)
            {
                e.Parked = null;
                e.HasState = false;
                _dir.TryRemove(r.EntityId, out _);
                if (_replicated) Replicate(new ReplicaItem(_shard, r.EntityId));
            }
            else
            {
                e.Parked = p with { Image = r.Image };
                if (_replicated && (r.AckId != 0 || Changed(e.Saved, r.Image)))
                {
                    e.Saved = Saved(e.Parked!);
                    Replicate(new ReplicaItem(_shard, r.EntityId, e.Saved));
                }
            }
            if (r.AckId != 0) SendAfterReplicas(Sender, new LeaseReportAck(r.AckId));
            return;
        }
        Forward(r.EntityId, r, Sender);
    }

    /// <summary>What replicas keep is out of date: another state class, or the deadline moved past the last record by
    /// more than half the timeout it had then (timer checkpoints trail, as the journal's do).</summary>
    private static bool Changed(ConnSaved? saved, ConnImage image) =>
        saved is null || !saved.Conn.SameClass(image)
        || image.ExpiresUs - saved.Conn.ExpiresUs > (saved.Conn.ExpiresUs - saved.SavedAtUs) / 2;

    /// <summary>A new TCP/UDP packet whose expectation key some node may hold: its entity must consult it.</summary>
    private bool MayBeExpected(OpenedQuery q) =>
        q.Expect is ExpectKey ek && ExpectIndex.Get(Context.System).MayExist(ek, _clock.NowUs);

    /// <summary>Drops entries of entities that hold nothing; wakes passivated ones whose deadline passed (their holder
    /// may be gone and nobody else would tell them).</summary>
    private void SweepIdle()
    {
        long now = _clock.NowUs;
        List<string>? released = null;
        foreach (var (id, e) in _dir)
        {
            if (e.Outstanding == 0 && !e.HasState && e.Parked is null)
            {
                // Durable: an entity that holds nothing has forgotten its connection (journaled): off the ledger.
                if (_held.Remove(id)) (released ??= new List<string>()).Add(id);
                _dir.TryRemove(id, out _);
            }
            else if ((e.Parked is { } p && p.Image.ExpiresUs <= now) || (e.Restored && e.Saved is { } s && s.Conn.ExpiresUs <= now))
                Context.Parent.Tell(new WakeEntity(id));
        }
        if (released is not null) _ledger?.Tell(new RelayLedger.Release(released.ToArray()));
    }
}
