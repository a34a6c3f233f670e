using Akka.Actor;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The datapath's conntrack when it runs in the cluster. A packet of a connection this node holds a lease on is
/// decided here, synchronously, by a local <see cref="ConntrackEngine"/> (the fast path); every other ct call
/// becomes a <see cref="CtQuery"/> to the sharded entity that owns the connection (or the datagram being
/// reassembled), and the answer resumes the packet. An answer may lend this node the connection
/// (<see cref="LeaseGrant"/>); the node reports what must stay durable back to the entity and gives the connection
/// back when the entity revokes the lease (docs/fast-path.md). Never blocks: the calls in flight are bounded
/// (beyond that the packet is dropped and counted), and calls unanswered after the timeout are dropped and counted.
/// Lives inside the datapath's actor, so it is single-threaded like the datapath.
/// </summary>
public sealed class ClusterConntrack : IRemoteConntrack
{
    // Its links, as delegates (the datapath actor sends; a test records): to the sharded region (sent as the datapath,
    // through the outbox) and to the datapath's own mailbox.
    private readonly Action<object> _toSelf;
    private readonly IClock _clock;
    /// <summary>Real time for answers that are overdue (the connection clock may follow a capture).</summary>
    private readonly IClock _deadlines;
    private readonly int _maxPending;
    private readonly long _timeoutUs;
    private readonly bool _wantsLeases;
    // Durable cluster: a local decision that changes what is journaled waits for the entity's journal (see LeaseReport):
    // TryDecide answers DecidedPendingDurability with the report, and AwaitDurability sends it with an ack id.
    private readonly bool _durableReports;
    private readonly Dictionary<long, InFlight> _pending = new();
    private readonly int _shards;
    private readonly ShardOutbox _out;
    private long _nextId;

    // The fast path: connections lent to this node, decided by the same engine code.
    private readonly ConntrackEngine _local;
    private readonly Dictionary<string, HeldLease> _leases = new();
    private int _activeCount;
    private readonly Dictionary<string, int> _inflight = new();
    private long _expiredSeen;

    /// <summary>Most packets parked behind one lease that is waiting for its own queries to come back.</summary>
    public const int MaxParked = 4096;
    public long BatchesSent => _out.BatchesSent;
    public long BatchedQueries => _out.BatchedQueries;

    public long Timeouts, Refused, Queries, RemoteReassembled;
    /// <summary>ct calls finished: answered, decided locally, timed out or refused (metrics: decisions per second).</summary>
    public long Decisions;
    /// <summary>Decisions taken on this node under a lease, without a message.</summary>
    public long LocalDecisions;
    public long LeasesGranted, LeasesRevoked, LeasesDropped, ReportsSent;

    private sealed record InFlight(CtCall Call, long SentUs, string EntityId, CtOutcome? Decided = null);

    public ClusterConntrack(Action<object> toRegion, Action<object> toSelf, int shards, int maxPending = 65536, TimeSpan? timeout = null,
        IClock? clock = null, ConntrackSettings? settings = null, bool leases = true, bool durableReports = false, IClock? deadlines = null)
    {
        _durableReports = durableReports;
        _shards = shards;
        _toSelf = toSelf;
        _out = new ShardOutbox(toRegion, toSelf);
        _maxPending = maxPending;
        _timeoutUs = (long)(timeout ?? TimeSpan.FromSeconds(5)).TotalMicroseconds;
        _clock = clock ?? SystemClock.Instance;
        _deadlines = deadlines ?? MonotonicClock.Instance;
        _wantsLeases = leases;
        _local = new ConntrackEngine(_clock, settings);
    }

    /// <summary>Sent by the conntrack to its own actor: a call it refused, to be answered outside Submit.</summary>
    public sealed record Refuse(long Id, CtCall Call, string Reason = "ct_backlog_full");

    /// <summary>Sent to its own actor when the first query of a batch is queued (see <see cref="ShardOutbox"/>).</summary>
    public sealed class Flush { public static readonly Flush Instance = new(); }

    public int Pending => _pending.Count;
    /// <summary>Connections this node decides locally now.</summary>
    public int LeasesHeld => _activeCount;

    /// <summary>The dump-conntrack line of a parked connection's image (null when expired).</summary>
    public string? FormatParked(ConnImage image) => _local.FormatImage(image);

    /// <summary>The fast path: decides the packet here when this node holds its connection's lease. In a durable
    /// cluster a decision that changed what is journaled is <see cref="LocalVerdict.DecidedPendingDurability"/>, its
    /// report in <see cref="LocalDecision.Durability"/>.</summary>
    public LocalDecision TryDecide(ref Packet packet, ref FlowKey key, in CtRequest request)
    {
        if (_activeCount == 0 || !_local.TryExecuteHeld(ref packet, ref key, in request, out var outcome, out var held))
            return default;
        LocalDecisions++;
        if (held!.Tag is HeldLease lease && AfterLocal(lease, held) is { } report)
            return new LocalDecision(LocalVerdict.DecidedPendingDurability, outcome, report);
        Decisions++;
        return new LocalDecision(LocalVerdict.Decided, outcome);
    }

    /// <summary>A local decision the entity must journal first: its report goes with an ack id, and the packet goes on
    /// with the decision when the ack comes (<see cref="OnReportAck"/>).</summary>
    public void AwaitDurability(CtCall call, in LocalDecision decision)
    {
        if (decision.Verdict != LocalVerdict.DecidedPendingDurability || decision.Durability is not LeaseReport report)
            throw new InvalidOperationException("AwaitDurability takes a decision pending durability, with its report");
        long ackId = ++_nextId;
        _pending[ackId] = new InFlight(call, _deadlines.NowUs, report.EntityId, decision.Outcome);
        Send(report with { AckId = ackId });
    }

    /// <summary>Decides a call this conntrack holds (parked behind a lease, or a reassembled datagram): here when its
    /// connection is lent, else through its entity.</summary>
    private void DecideOrSubmit(CtCall call, Switch.Core.Datapath.Datapath dp)
    {
        var d = TryDecide(ref call.Packet, ref call.Key, in call.Request);
        switch (d.Verdict)
        {
            case LocalVerdict.Decided: dp.Resume(call, d.Outcome); break; // counted by TryDecide
            case LocalVerdict.DecidedPendingDurability: AwaitDurability(call, in d); break;
            default: Submit(call); break;
        }
    }

    /// <summary>After a local decision: reports a change the entity must journal, or that the connection is gone.
    /// In a durable cluster such a report is returned instead of sent: the packet waits for the journal (a timer
    /// checkpoint never makes it wait).</summary>
    private LeaseReport? AfterLocal(HeldLease l, Connection c)
    {
        if (c.Has(ConnStatus.Dying))
        {
            // The packet ended the entry (TCP reopen or kill); a committed reopen left a new one under the same key.
            if (!_local.TryGet(c.Key, out var next) || next is null) { RemoveLease(l); return Changed(l, null); }
            l.Replace(next);
            return Changed(l, next);
        }
        if (!ConnImages.SameClass(c, l.Reported!)) return Changed(l, c); // a replaced entry shows as Dying above
        long known = l.Reported!.ExpiresUs;
        if (c.ExpiresUs - known > (known - l.ReportedAtUs) / 2) Report(l, c); // a timer checkpoint: no wait
        return null;
    }

    /// <summary>A change the entity must journal: sent now, or (durable) handed back to leave with the held packet.</summary>
    private LeaseReport? Changed(HeldLease l, Connection? c)
    {
        var report = NewReport(l, c);
        if (_durableReports) return report;
        Send(report);
        return null;
    }

    private void Report(HeldLease l, Connection? c) => Send(NewReport(l, c));

    private LeaseReport NewReport(HeldLease l, Connection? c)
    {
        ConnImage? image = null;
        if (c is not null)
        {
            image = ConnImages.From(c);
            l.Snap(image, _clock.NowUs);
        }
        ReportsSent++;
        return new LeaseReport(l.EntityId, l.Epoch, image);
    }

    private void Send(LeaseReport report) => _out.Add(CtRouting.ShardId(report.EntityId, _shards), null, report);

    public void Submit(CtCall call)
    {
        var entity = CtRouting.EntityId(call.Packet.Span, call.Key, call.Request.Zone);
        if (_leases.TryGetValue(entity, out var l))
        {
            if (l.State == HeldLeaseState.Activating)
            {
                // Queries sent before the grant are still out: this packet waits for them, then is decided here.
                if ((l.Parked ??= new Queue<CtCall>()).Count < MaxParked) { l.Parked.Enqueue(call); return; }
            }
            else
            {
                // A packet of a lent connection the fast path declined (its timer ran out here, a fragment, an ICMP
                // error, force or alg): the entity decides it, so it gets the connection back first.
                Report(l, Live(l) is { } c && c.ExpiresUs > _clock.NowUs ? c : null);
                RemoveLease(l);
            }
        }
        long id = ++_nextId;
        if (call.Packet.Length > ClusterLimits.MaxPacketBytes)
        {
            // It could not travel to its entity (remoting's frame): dropped here, named and counted, never lost silently.
            _toSelf(new Refuse(id, call, ClusterLimits.PacketTooLarge));
            return;
        }
        _pending[id] = new InFlight(call, _deadlines.NowUs, entity);
        if (_pending.Count > _maxPending)
        {
            // Answered through the mailbox: the datapath is inside Submit and must not be re-entered.
            _pending.Remove(id);
            Refused++;
            _toSelf(new Refuse(id, call));
            return;
        }
        Send(id, call, entity);
    }

    private void Send(long id, CtCall call, string entity)
    {
        Queries++;
        _inflight[entity] = _inflight.GetValueOrDefault(entity) + 1;
        Enqueue(id, call, entity);
    }

    private void Enqueue(long id, CtCall call, string entity)
    {
        var q = new CtQuery(id, entity, call.Packet.Span.ToArray(), call.Packet.InPort, CtWire.Meta(call.Key),
            CtWire.CtWords(call.Key), CtWire.ToWire(call.Request), _wantsLeases);
        _out.Add(CtRouting.ShardId(entity, _shards), q, null);
    }

    /// <summary>A member was removed: queries sent before <paramref name="sentBeforeUs"/> that are still unanswered
    /// may have gone to it (and died with it). They are sent again, under the same id, to wherever their shard lives
    /// now, instead of waiting for their timeout; whichever answer comes first resumes the packet, a later one is
    /// ignored. (A query the lost member had decided and replicated before it died is then decided again by the new
    /// owner, as a retransmitted packet would be.) Returns how many.</summary>
    public int ResendUnanswered(long sentBeforeUs)
    {
        int n = 0;
        foreach (var (id, p) in _pending)
        {
            if (p.Decided is not null || p.SentUs > sentBeforeUs) continue;
            Enqueue(id, p.Call, p.EntityId);
            n++;
        }
        Resent += n;
        return n;
    }

    /// <summary>Queries sent again after a member's removal (<see cref="ResendUnanswered"/>).</summary>
    public long Resent { get; private set; }

    /// <summary>The deadline clock's now, for <see cref="ResendUnanswered"/>.</summary>
    public long NowUs => _deadlines.NowUs;

    /// <summary>Sends every queued batch (the <see cref="Flush"/> message).</summary>
    public void OnFlush() => _out.Flush();

    /// <summary>Handles an entity's answer: resumes the packet, or, when a reassembly entity returned the whole
    /// datagram, sends that on to its connection's entity (this node completed it, so this node continues it).
    /// A lease in the answer is taken; once none of this node's queries to the entity is out, it becomes active
    /// and the packets parked behind it are decided here, in order.</summary>
    public void OnReply(CtReply r, Switch.Core.Datapath.Datapath dp, Address grantor)
    {
        if (!_pending.Remove(r.Id, out var p)) return; // answered after its timeout
        var call = p.Call;
        Done(p.EntityId);
        if (r.Verdict == CtWireVerdict.Reassembled && r.Frame is not null)
        {
            var whole = Packet.From(r.Frame, call.Packet.InPort, call.Packet.TimestampUs);
            whole.Mru = r.Mru;
            var key = default(FlowKey);
            if (PacketParser.Parse(whole.Span, call.Key.InPort, ref key) == ParseResult.Ok)
            {
                CtWire.ApplyMeta(ref key, CtWire.Meta(call.Key));
                call.Packet = whole;
                call.Key = key;
                RemoteReassembled++;
                // The whole datagram is tracked like any packet: locally when its connection is lent here.
                DecideOrSubmit(call, dp);
                return;
            }
            Finish(call, CtOutcome.Drop(CtDropReasons.FragReassembledBad), dp);
            return;
        }
        if (r.Verdict == CtWireVerdict.Continue && r.KeyWords.Length == FlowKey.Words) CtWire.ApplyCtWords(ref call.Key, r.KeyWords);
        var outcome = r.Verdict switch
        {
            CtWireVerdict.Continue => CtOutcome.Continue,
            CtWireVerdict.Stolen => CtOutcome.Stolen,
            _ => CtOutcome.Drop(r.DropReason ?? "ct_error"),
        };
        if (r.Lease is { } g) Take(p.EntityId, g, grantor);
        Finish(call, outcome, dp);
        Activate(p.EntityId, dp);
    }

    private void Take(string entity, LeaseGrant g, Address grantor)
    {
        if (_leases.TryGetValue(entity, out var l))
        {
            if (l.Epoch == g.Epoch) { l.Refresh(g.Image); return; }
            // A new lease replaces an old one: packets parked behind the old one wait behind the new one, in order.
            var parked = l.Parked;
            RemoveLease(l);
            _leases[entity] = new HeldLease(entity, g.Epoch, grantor, g.Image) { Parked = parked };
            LeasesGranted++;
            return;
        }
        _leases[entity] = new HeldLease(entity, g.Epoch, grantor, g.Image);
        LeasesGranted++;
    }

    private void Activate(string entity, Switch.Core.Datapath.Datapath dp)
    {
        if (!_leases.TryGetValue(entity, out var l) || l.State != HeldLeaseState.Activating || _inflight.ContainsKey(entity)) return;
        var c = _local.Adopt(l.Image!);
        if (c is null) { RemoveLease(l); Resubmit(l.Parked); return; }
        l.Activate(c, _clock.NowUs);
        _activeCount++;
        var parked = l.Parked;
        l.Parked = null;
        if (parked is null) return;
        while (parked.TryDequeue(out var call))
        {
            DecideOrSubmit(call, dp);
        }
    }

    private void Resubmit(Queue<CtCall>? parked)
    {
        if (parked is null) return;
        while (parked.TryDequeue(out var call)) Submit(call);
    }

    /// <summary>The lent connection while the local engine still holds it.</summary>
    private static Connection? Live(HeldLease l) => l.Conn is { } c && !c.Has(ConnStatus.Dying) ? c : null;

    private void Done(string entity)
    {
        if (!_inflight.TryGetValue(entity, out int n)) return;
        if (n <= 1) _inflight.Remove(entity); else _inflight[entity] = n - 1;
    }

    private void RemoveLease(HeldLease l)
    {
        _leases.Remove(l.EntityId);
        if (l.State == HeldLeaseState.Active)
        {
            _activeCount--;
            if (l.Conn is { } c) _local.Remove(c); // no-op when it already left the table
        }
        l.End();
    }

    /// <summary>The entity takes its connection back: the latest state goes with the answer. Packets parked behind a
    /// lease not yet active go to the entity, which holds them until it has this answer.</summary>
    public LeaseReturn OnRevoke(LeaseRevoke rv)
    {
        if (!_leases.TryGetValue(rv.EntityId, out var l) || l.Epoch != rv.Epoch)
            return new LeaseReturn(rv.EntityId, rv.Epoch, null, false);
        LeasesRevoked++;
        ConnImage? image = null;
        bool gone = false;
        if (l.State == HeldLeaseState.Active)
        {
            if (Live(l) is { } c && c.ExpiresUs > _clock.NowUs) image = ConnImages.From(c);
            else gone = true;
        }
        var parked = l.Parked;
        RemoveLease(l);
        // The parked packets go to the entity as queries; whether they reach it before or after the return, it holds
        // them until the return is in (ordering rule 2).
        Resubmit(parked);
        return new LeaseReturn(rv.EntityId, rv.Epoch, image, gone);
    }

    /// <summary>The node an entity lives on is unreachable or leaving: its leases die (the entity that comes back
    /// elsewhere knows only its durable state, which then rules).</summary>
    public void DropLeasesFrom(Address node)
    {
        foreach (var l in _leases.Values.Where(l => l.Grantor.Equals(node)).ToList())
        {
            LeasesDropped++;
            var parked = l.Parked;
            RemoveLease(l);
            Resubmit(parked);
        }
    }

    /// <summary>The entity journaled a reported change: the packet that made it goes on with its local decision.</summary>
    public void OnReportAck(LeaseReportAck a, Switch.Core.Datapath.Datapath dp)
    {
        if (!_pending.Remove(a.AckId, out var p) || p.Decided is not { } outcome) return;
        Finish(p.Call, outcome, dp);
    }

    public void OnRefuse(Refuse r, Switch.Core.Datapath.Datapath dp) => Finish(r.Call, CtOutcome.Drop(r.Reason), dp);

    /// <summary>Drops calls whose answer is overdue (an entity's node died mid-call); returns how many. Also runs the
    /// local engine's timers: a lent connection that expired here is reported gone.</summary>
    public int ExpireOverdue(Switch.Core.Datapath.Datapath dp)
    {
        ExpireLocal();
        long now = _deadlines.NowUs;
        var overdue = _pending.Where(kv => now - kv.Value.SentUs > _timeoutUs).Select(kv => kv.Key).ToList();
        foreach (var id in overdue)
        {
            var p = _pending[id];
            _pending.Remove(id);
            if (p.Decided is null) Done(p.EntityId);
            Timeouts++;
            // A lease waiting for this answer cannot know the entity's latest state: it is given up.
            if (_leases.TryGetValue(p.EntityId, out var l) && l.State == HeldLeaseState.Activating) { RemoveLease(l); Resubmit(l.Parked); }
            Finish(p.Call, CtOutcome.Drop("ct_timeout"), dp);
        }
        return overdue.Count;
    }

    private void ExpireLocal()
    {
        _local.ExpireNow();
        if (_local.Counters.Expired == _expiredSeen) return;
        _expiredSeen = _local.Counters.Expired;
        foreach (var l in _leases.Values.Where(l => l.State == HeldLeaseState.Active && Live(l) is null).ToList())
        {
            Report(l, null);
            RemoveLease(l);
        }
    }

    private void Finish(CtCall call, CtOutcome outcome, Switch.Core.Datapath.Datapath dp)
    {
        Decisions++;
        dp.Resume(call, outcome);
    }

}
