using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Persistence;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The entity that owns one connection (zone + canonical 5-tuple): a thin shell around the same
/// <see cref="ConntrackEngine"/> the single node runs, holding only this connection. Both directions and the
/// ICMP errors quoting it arrive here, wherever they entered the cluster, so asymmetric paths are tracked as
/// one. A new TCP/UDP connection consults its expectation key once (FTP/TFTP data connections become +rel on
/// any node); a master copies the expectations its helper creates to their entities before it answers.
/// When durable, the changes that matter (commit, TCP state class, mark/label, expectations, a timer
/// checkpoint, teardown) are journaled before the answer leaves, so a decision the datapath acted on survives
/// the node; a recovered connection picks TCP windows up liberally. The entity stops as soon as it holds
/// nothing: an uncommitted packet leaves no actor (and, once forgotten, no events) behind.
/// The fast path (docs/fast-path.md): a committed connection without helper or expectations is lent to the node
/// whose datapath asked (<see cref="LeaseGrant"/> in the answer). The holder decides its packets and reports what
/// must stay durable; a packet from any other node, a flush or this entity's own timer revokes the lease first
/// (the holder's latest state comes back), and after a revocation caused by another node the entity decides
/// centrally for good.
/// </summary>
public sealed partial class ConnectionEntity : UntypedPersistentActor, IWithTimers
{
    private sealed class ExpiryTick { public static readonly ExpiryTick Instance = new(); }
    private sealed record Consulted(OpenedQuery Query, IActorRef ReplyTo, ExpectData? Found);
    private sealed record Answered(CtReply Reply, IActorRef ReplyTo);
    private sealed record RevokeTimeout(long Epoch);
    /// <summary>The entity's own stop message (passivation): stashable, so it never cuts a revocation or a lookup short.</summary>
    private sealed class StopNow { public static readonly StopNow Instance = new(); }
    private sealed class ParkTick { public static readonly ParkTick Instance = new(); }

    private readonly EntityTimings _timings;
    private readonly EntityCounters _counters = EntityCounters.Get(Context.System);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);
    private const int SnapshotEvery = 100;
    private readonly ConntrackEngine _engine;
    private readonly IClock _clock;
    private readonly bool _durable;
    private readonly Dictionary<ExpectKey, ExpectData> _published = new();
    private ConnSaved? _saved;
    private ExpectKey? _imported;
    private string _entityId = "";
    // Whether the expectation index was consulted for this connection (once, at its first query).
    private bool _consulted;
    /// <summary>What the entity is waiting for, if anything: while not idle every other message is stashed.</summary>
    private enum Work : byte { Claiming, Idle, Consulting, Registering }
    /// <summary>Running; stopping because it holds nothing; or passivating with its state parked in the directory.</summary>
    private enum Lifecycle : byte { Running, Stopping, Parking }
    private Work _work;
    private Lifecycle _life;
    // The lease (holder, epoch, revoking, central): the protocol's states and transitions live there.
    private readonly LeaseAuthority<IActorRef> _lease = new();
    private IActorRef? _replies;
    // The shard's relay (it answered the claim): what this entity handled and holds is told to it, never written.
    private IActorRef? _relay;
    private bool? _toldHolds;
    private int _stashedWhileClaiming;
    // Replicated clusters: the shard (the store's key), and the records on their way to the replicas, by token, with
    // what runs once they are there (the answer, an acknowledgement).
    private readonly bool _replicated;
    private string _shard = "";
    private long _repToken;
    private readonly Dictionary<long, (ConnSaved? Saved, Action Then)> _replicating = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ConnectionEntity(IClock clock, ConntrackSettings settings, bool durable, EntityTimings? timings = null)
    {
        _clock = clock;
        _durable = durable;
        _timings = timings ?? EntityTimings.Default;
        _engine = new ConntrackEngine(clock, settings);
        _replicated = !durable && Replication.Get(Context.System).On;
        Interlocked.Increment(ref _counters.ConnectionsStarted);
    }

    public static Props Props(IClock clock, ConntrackSettings settings, bool durable, EntityTimings? timings = null) =>
        Akka.Actor.Props.Create(() => new ConnectionEntity(clock, settings, durable, timings));

    public override string PersistenceId => "conn-" + Uri.UnescapeDataString(Self.Path.Name);

    private IActorRef Region => ClusterSharding.Get(Context.System).ShardRegion(ConntrackRegion.Name);

    private ExpectIndex Index => ExpectIndex.Get(Context.System);

    private void Reply(IActorRef to, CtReply reply) => (_replies ??= ConntrackReplies.Get(Context.System)).Tell(new ReplyBatcher.Out(to, reply));

    protected override void OnCommand(object message)
    {
        if (_work == Work.Claiming)
        {
            if (message is not Claimed claimed) { _stashedWhileClaiming++; Stash.Stash(); return; }
            _relay = Sender;
            _work = Work.Idle;
            if (claimed.Restore && claimed.Saved is { } restored)
            {
                // Taken over from a replica (its owner was lost, or the shard moved): back from the replicated record.
                _saved = restored;
                RestoreJournaled();
            }
            else if (claimed.Parked is { } parked)
            {
                Unpark(parked);
                _saved = claimed.Saved;
            }
            if (_stashedWhileClaiming > 0) Stash.UnstashAll(); // each of them ends with its own StopIfEmpty
            else StopIfEmpty();
            return;
        }
        // A query straight from the region (no gate in front) is opened here: one parse on this node either way.
        if (message is CtQuery raw) message = OpenedQuery.Open(raw);
        if ((_work != Work.Idle || _lease.Revoking || _replicating.Count > 0)
            && message is not (Consulted or Answered or LeaseReturn or RevokeTimeout or LeaseReport or Replicated))
        {
            Stash.Stash();
            return;
        }
        switch (message)
        {
            case Replicated done:
                if (_replicating.Remove(done.Token, out var replicated))
                {
                    _saved = replicated.Saved;
                    replicated.Then();
                }
                if (_work == Work.Idle && _replicating.Count == 0 && !_lease.Revoking) Stash.UnstashAll();
                break;
            case OpenedQuery when _lease.MustRevokeFor(Sender):
                // A packet entered another node: take the connection back, then decide centrally from now on.
                BeginRevoke(central: true);
                Stash.Stash();
                break;
            case StopNow:
                // It asked to stop holding nothing, but a message already on its way (a commit) gave it a connection
                // before the stop came: the connection is kept, as a passivated entity's is, never dropped.
                if (_life == Lifecycle.Stopping && Holds()) _life = Lifecycle.Parking;
                Context.Stop(Self);
                break;
            case ParkTick:
                if (Parkable() && _life == Lifecycle.Running)
                {
                    _life = Lifecycle.Parking;
                    Context.Parent.Tell(new Passivate(StopNow.Instance));
                }
                break;
            case WakeEntity:
                ArmTimer();
                StopIfEmpty();
                break;
            case FlushEntity or ExpiryTick when _lease.State == AuthorityState.Lent:
                BeginRevoke(central: false);
                Stash.Stash();
                break;
            case LeaseReport rep:
            {
                var holder = Sender;
                if (!_durable && rep.Image is not null && _lease.CanReattach)
                {
                    // A lease this entity lent before it restarted (without a journal it kept nothing): the holder's
                    // report brings the connection back, and the holder keeps its lease.
                    _lease.Reattach(holder, rep.Epoch);
                }
                if (!_lease.Accepts(rep.Epoch))
                {
                    // From a lease already ended: the state came back with its return (journaled then) and rules.
                    if (rep.AckId != 0) holder.Tell(new LeaseReportAck(rep.AckId));
                    Settle();
                    break;
                }
                if (rep.Image is null) { _lease.HolderGone(rep.Epoch); RemoveConnection(); }
                else _engine.Adopt(rep.Image);
                Checkpoint(() =>
                {
                    if (rep.AckId != 0) holder.Tell(new LeaseReportAck(rep.AckId));
                    Settle();
                    StopIfEmpty();
                });
                break;
            }
            case LeaseReturn ret:
                if (_lease.Returned(ret.Epoch)) EndRevoke(ret.Image, ret.Gone);
                break;
            case RevokeTimeout t:
                if (_lease.Returned(t.Epoch)) EndRevoke(null, false);
                break;
            case OpenedQuery q:
                if (_entityId.Length == 0) _entityId = q.EntityId;
                if (!_consulted && _engine.Count == 0 && q.Expect is ExpectKey ek && Index.MayExist(ek, _clock.NowUs))
                {
                    _consulted = true;
                    var replyTo = Sender;
                    Region.Ask<ExpectFound>(new ExpectLookup(ExpectWire.EntityId(ek)), AskTimeout)
                        .PipeTo(Self, success: f => new Consulted(q, replyTo, f.Data), failure: _ => new Consulted(q, replyTo, null));
                    _work = Work.Consulting;
                    return;
                }
                Answer(q, Sender);
                break;
            case Consulted c:
                if (_work != Work.Consulting) throw new InvalidOperationException($"consulted while {_work}");
                _work = Work.Idle;
                if (c.Found is not null) { ExpectWire.Import(_engine, c.Found); _imported = ExpectWire.Key(c.Found); }
                Answer(c.Query, c.ReplyTo);
                if (_work == Work.Idle) Stash.UnstashAll();
                break;
            case Answered a:
                if (_work != Work.Registering) throw new InvalidOperationException($"answered while {_work}");
                _work = Work.Idle;
                Reply(a.ReplyTo, a.Reply);
                Settle();
                Stash.UnstashAll();
                StopIfEmpty();
                break;
            case DumpEntity d:
                Sender.Tell(new DumpEntityReply(_engine.DumpConntrack(d.Zone).ToArray()));
                StopIfEmpty();
                break;
            case FlushEntity f:
            {
                // The tuple text was checked by the control plane before it fanned out.
                int n = _engine.Flush(f.Zone, string.IsNullOrWhiteSpace(f.Tuple) ? null : CtTupleText.Parse(f.Tuple));
                var replyTo = Sender;
                Withdraw();
                Checkpoint(() => { replyTo.Tell(new FlushEntityReply(n)); StopIfEmpty(); });
                break;
            }
            case ExpectUsed u:
                _engine.RemoveExpectation(ExpectWire.Key(u.Data));
                _published.Remove(ExpectWire.Key(u.Data));
                Checkpoint(() => { });
                break;
            case ExpiryTick:
                _engine.ExpireNow();
                Withdraw();
                Checkpoint(() => StopIfEmpty());
                break;
            case SaveSnapshotSuccess or SaveSnapshotFailure or DeleteMessagesSuccess or DeleteMessagesFailure
                or DeleteSnapshotsSuccess or DeleteSnapshotsFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Answer(OpenedQuery q, IActorRef replyTo)
    {
        var reply = CtWire.Decide(_engine, q);
        if (_imported is ExpectKey ik && !_engine.HasExpectation(ik))
        {
            // The expected connection committed (or the copy lapsed): the expectation is used up cluster-wide.
            if (_engine.Count > 0) Region.Tell(new ExpectRemove(ExpectWire.EntityId(ik), Used: true));
            _imported = null;
        }
        var fresh = Publish();
        Withdraw();
        if (fresh.Count == 0 && q.Query.WantsLease && reply.Verdict == CtWireVerdict.Continue && Lendable() is Connection lent)
        {
            if (_lease.State == AuthorityState.Unlent) _lease.Lend(replyTo, Random.Shared.NextInt64(1, long.MaxValue));
            // The holder's own queries sent before it had the lease get the refreshed state with their answers.
            if (replyTo.Equals(_lease.Holder)) reply = reply with { Lease = new LeaseGrant(_lease.Epoch, ConnImages.From(lent)) };
        }
        Checkpoint(() =>
        {
            if (fresh.Count == 0) { Reply(replyTo, reply); Settle(); StopIfEmpty(); return; }
            // The data connection must not overtake its expectation: answer once every copy is registered.
            Task.WhenAll(fresh.Select(r => (Task)Region.Ask<ExpectRegistered>(r, AskTimeout))
                    .Concat(fresh.Select(r => Index.PublishAsync(r.EntityId, r.Data.ExpiresUs))))
                .ContinueWith(_ => new Answered(reply, replyTo)).PipeTo(Self);
            _work = Work.Registering;
        });
    }

    /// <summary>One timer at the connection's next deadline (not a periodic tick per entity).</summary>
    private void ArmTimer()
    {
        var c = _engine.Single();
        if (c is null && _engine.Counters.Expectations == 0) { Timers.Cancel("expiry"); return; }
        long dueUs = c?.ExpiresUs ?? _clock.NowUs + 1_000_000;
        var delay = TimeSpan.FromTicks(Math.Clamp(dueUs - _clock.NowUs, 1_000, 3_600_000_000) * 10 + 10_000);
        Timers.StartSingleTimer("expiry", ExpiryTick.Instance, delay);
    }

    /// <summary>Registrations for expectations this master created since the last packet.</summary>
    private List<ExpectRegister> Publish()
    {
        var fresh = new List<ExpectRegister>();
        foreach (var e in _engine.OwnExpectations())
        {
            if (_published.ContainsKey(e.Key)) continue;
            var data = ExpectWire.From(e, _entityId);
            _published[e.Key] = data;
            fresh.Add(new ExpectRegister(ExpectWire.EntityId(e.Key), data));
        }
        return fresh;
    }

    /// <summary>Withdraws copies of expectations the master no longer has (expired, replaced, died with it).</summary>
    private void Withdraw()
    {
        if (_published.Count == 0) return;
        var live = _engine.OwnExpectations().Select(e => e.Key).ToHashSet();
        foreach (var k in _published.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _published.Remove(k);
            Region.Tell(new ExpectRemove(ExpectWire.EntityId(k), Used: false));
            Index.Remove(ExpectWire.EntityId(k));
        }
    }

    /// <summary>The connection, when it may be lent: committed, no helper, no expectation of its own or imported,
    /// and never seen entering two nodes.</summary>
    private Connection? Lendable()
    {
        if (_lease.IsCentral || _imported is not null || _engine.Counters.Expectations > 0) return null;
        var c = _engine.Single();
        return c is not null && c.Helper == CtAlg.None && c.Extras is null ? c : null;
    }

    private void BeginRevoke(bool central)
    {
        if (!_lease.BeginRevoke(central)) return;
        _lease.Holder!.Tell(new LeaseRevoke(_entityId, _lease.Epoch), Self);
        Timers.StartSingleTimer("revoke", new RevokeTimeout(_lease.Epoch), _timings.RevokeWait);
    }

    /// <summary>The lease is over: the holder's latest state (when it sent one) replaces ours, then the held messages run.</summary>
    private void EndRevoke(ConnImage? image, bool gone)
    {
        Timers.Cancel("revoke");
        if (gone) RemoveConnection();
        else if (image is not null) _engine.Adopt(image);
        Checkpoint(() =>
        {
            Stash.UnstashAll();
            StopIfEmpty();
        });
    }

    private void RemoveConnection()
    {
        var c = _engine.Single();
        if (c is not null) _engine.Remove(c);
        Withdraw();
    }

    /// <summary>One query (or report) the relay forwarded is handled: the directory learns first whether this entity
    /// holds anything (so "none outstanding and nothing held" is never seen too early).</summary>
    private void Settle() => TellRelay(handled: 1);

    /// <summary>Tells the relay what this entity holds now (and how many of its forwarded messages it handled): only the
    /// relay writes the directory. Nothing is sent when nothing changed.</summary>
    private void TellRelay(int handled)
    {
        bool holds = Holds();
        if (_relay is null || (handled == 0 && _toldHolds == holds)) return;
        _toldHolds = holds;
        _relay.Tell(new EntitySettled(_entityId, handled, holds), Self);
    }

    private bool Holds() => _work != Work.Idle || _replicating.Count > 0 || _lease.Holds || _engine.Count > 0 || _engine.Counters.Expectations > 0;

    private void StopIfEmpty()
    {
        // Keep the relay's directory true to what this entity holds (the gate and the counts read it).
        TellRelay(handled: 0);
        if (_life != Lifecycle.Running) return;
        if (!Holds())
        {
            _life = Lifecycle.Stopping;
            Context.Parent.Tell(new Passivate(StopNow.Instance));
            return;
        }
        // Lent, or idle here: passivate after a while, keeping the compact state in the shard's directory (without a
        // journal; a durable entity would come back from its journal instead, so it stays).
        if (Parkable()) Timers.StartSingleTimer("park", ParkTick.Instance, _lease.Holder is null ? _timings.IdleParkAfter : _timings.ParkAfter);
    }

    /// <summary>The whole state fits a parked image: one plain connection (no helper state, no master link), no
    /// expectation of its own or imported, nothing in progress.</summary>
    private bool Parkable() => !_durable && _work == Work.Idle && _replicating.Count == 0 && !_lease.Revoking && _published.Count == 0 && _imported is null
        && _engine.Counters.Expectations == 0 && _engine.Single() is { Helper: CtAlg.None, Extras: null } && _relay is not null;

    protected override void PostStop()
    {
        // Also when a revocation ran between the decision to passivate and the stop: whatever is held is kept.
        if (_life == Lifecycle.Parking && _relay is not null && Parkable() && _engine.Single() is Connection c)
        {
            // Told before the shard starts the next incarnation, whose claim therefore finds it.
            _relay.Tell(new EntityParked(_entityId, new ParkedConn(ConnImages.From(c), _lease.Holder, _lease.Epoch, _lease.IsCentral), _saved), Self);
            Interlocked.Increment(ref _counters.Parked);
        }
        else if (_life == Lifecycle.Parking && _relay is not null && _replicated && _saved is not null)
        {
            // More than a parked image holds (helper state, expectations): the next incarnation restores from the
            // replicated record, as after a failover.
            _relay.Tell(new EntityParked(_entityId, null, _saved), Self);
        }
        base.PostStop();
    }

}
