using Akka.Actor;
using Switch.Actors.Conntrack;
using Switch.Actors.Packets;
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
/// connection update the packed state here; the entity starts only when something needs it (a packet entering
/// another node, a flush, a dump, its deadline).
/// A durable cluster forwards everything: after a failover the relay cannot know which entities the journal holds
/// until they have recovered.
/// </summary>
public sealed class BatchRelayEntity : UntypedActor, IWithTimers
{
    public const string Prefix = "b/";
    private sealed class Sweep { public static readonly Sweep Instance = new(); }

    private readonly IClock _clock;
    private readonly bool _gate;
    private readonly ConntrackEngine _scratch;
    private System.Collections.Concurrent.ConcurrentDictionary<string, DirEntry> _dir = null!;
    private IActorRef? _replies;

    /// <summary>Lookups answered here without an entity (process-wide, for tests and metrics).</summary>
    public static long GateAnswered;
    /// <summary>Connections committed here and born lent (no entity started), and reports applied to parked state.</summary>
    public static long CommittedHere, ReportsHere;

    public ITimerScheduler Timers { get; set; } = null!;

    public BatchRelayEntity(IClock clock, ConntrackSettings settings, bool durable)
    {
        _clock = clock;
        _gate = !durable;
        _scratch = new ConntrackEngine(clock, settings);
    }

    public static Props Props(IClock clock, ConntrackSettings settings, bool durable) =>
        Akka.Actor.Props.Create(() => new BatchRelayEntity(clock, settings, durable));

    public static string EntityId(string shardId) => Prefix + shardId;

    protected override void PreStart()
    {
        var shard = Uri.UnescapeDataString(Self.Path.Name)[Prefix.Length..];
        _dir = ShardDirectory.Get(Context.System).Shard(shard);
        if (_gate) Timers.StartPeriodicTimer("sweep", Sweep.Instance, TimeSpan.FromSeconds(10));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CtQueryBatch b:
                if (b.Reports is not null) foreach (var r in b.Reports) Report(r);
                foreach (var q in b.Queries) Route(q);
                break;
            case Sweep:
                SweepIdle();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Route(CtQuery q)
    {
        if (!_gate || !q.EntityId.StartsWith(CtRouting.ConnectionPrefix, StringComparison.Ordinal)) { Context.Parent.Forward(q); return; }
        _dir.TryGetValue(q.EntityId, out var e);
        if ((e is not null && (Volatile.Read(ref e.Outstanding) > 0 || e.HasState))
            || (q.Request.Commit && (!q.WantsLease || q.Request.Alg != 0)) || MayBeExpected(q))
        {
            e ??= _dir.GetOrAdd(q.EntityId, _ => new DirEntry());
            Interlocked.Increment(ref e.Outstanding);
            Context.Parent.Forward(q);
            return;
        }
        if (e is not null) _dir.TryRemove(q.EntityId, out _);
        var reply = CtWire.Decide(_scratch, q);
        if (_scratch.Single() is { } c) reply = Born(q.EntityId, c, reply);
        else Interlocked.Increment(ref GateAnswered);
        (_replies ??= ConntrackReplies.Get(Context.System)).Tell(new ReplyBatcher.Out(Sender, reply));
    }

    /// <summary>The query committed a connection (no helper, nothing expected): it is lent to the asking datapath and
    /// its entity's state is parked in the directory, as the entity itself would have left it.</summary>
    private CtReply Born(string entityId, Connection c, CtReply reply)
    {
        _scratch.Remove(c);
        bool lendable = reply.Verdict == CtWireVerdict.Continue && c.Helper == CtAlg.None && c.Extras is null;
        var image = ConnImages.From(c);
        long epoch = lendable ? Random.Shared.NextInt64(1, long.MaxValue) : 0;
        _dir[entityId] = new DirEntry { HasState = true, Parked = new ParkedConn(ConnImages.Packed(image), lendable ? Sender : null, epoch, false) };
        Interlocked.Increment(ref CommittedHere);
        if (!lendable) return reply;
        Interlocked.Increment(ref ConnectionEntity.LeasesGranted);
        return reply with { Lease = new LeaseGrant(epoch, image) };
    }

    /// <summary>A holder's report: applied to the packed state when its entity is parked with nothing on its way to it
    /// (atomically against the entity taking the state back); dropped when the entity holds nothing at all (the lease
    /// it describes is over); otherwise forwarded, counted like a query until the entity has handled it.</summary>
    private void Report(LeaseReport r)
    {
        if (!_gate) { Context.Parent.Forward(r); return; }
        if (!_dir.TryGetValue(r.EntityId, out var e) || (!e.HasState && Volatile.Read(ref e.Outstanding) == 0 && e.Parked is null))
        {
            if (r.AckId != 0) Sender.Tell(new LeaseReportAck(r.AckId));
            return;
        }
        if (r.AckId == 0 && Volatile.Read(ref e.Outstanding) == 0 && e.Parked is { } p && p.Epoch == r.Epoch && Sender.Equals(p.Holder))
        {
            if (r.Image is null)
            {
                if (Interlocked.CompareExchange(ref e.Parked, null, p) == p)
                {
                    e.HasState = false;
                    _dir.TryRemove(r.EntityId, out _);
                    Interlocked.Increment(ref ReportsHere);
                    return;
                }
            }
            else if (Interlocked.CompareExchange(ref e.Parked, p with { State = ConnImages.Packed(r.Image) }, p) == p)
            {
                Interlocked.Increment(ref ReportsHere);
                return;
            }
        }
        Interlocked.Increment(ref e.Outstanding);
        Context.Parent.Forward(r);
    }

    /// <summary>A new TCP/UDP packet whose expectation key some node may hold: its entity must consult it.</summary>
    private bool MayBeExpected(CtQuery q) =>
        ConnectionEntity.ExpectKeyOf(q) is ExpectKey ek && ExpectIndex.Get(Context.System).MayExist(ek, _clock.NowUs);

    /// <summary>Drops entries of entities that hold nothing; wakes passivated ones whose deadline passed (their holder
    /// may be gone and nobody else would tell them).</summary>
    private void SweepIdle()
    {
        long now = _clock.NowUs;
        foreach (var (id, e) in _dir)
        {
            if (Volatile.Read(ref e.Outstanding) == 0 && !e.HasState && e.Parked is null) _dir.TryRemove(id, out _);
            else if (e.Parked is { } p && ConnImages.PackedExpiresUs(p.State) <= now) Context.Parent.Tell(new WakeEntity(id));
        }
    }
}
