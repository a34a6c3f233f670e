using Akka.Actor;
using Switch.Actors.Conntrack;
using Switch.Actors.Packets;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The datapath's conntrack when it runs in the cluster: each ct call becomes a <see cref="CtQuery"/> to the
/// sharded entity that owns the connection (or the datagram being reassembled), and the answer resumes the
/// packet. Never blocks: the number of calls in flight is bounded (beyond it the packet is dropped and counted,
/// the back-pressure a switch can apply), and calls unanswered after the timeout are dropped and counted.
/// Lives inside the datapath's actor, so it is single-threaded like the datapath.
/// </summary>
public sealed class ClusterConntrack : IRemoteConntrack
{
    private readonly Func<IActorRef> _region;
    private readonly IActorRef _self;
    private readonly int _maxPending;
    private readonly long _timeoutUs;
    private readonly Dictionary<long, (CtCall Call, long SentUs)> _pending = new();
    private long _nextId;

    public long Timeouts, Refused, Queries, RemoteReassembled;

    public ClusterConntrack(Func<IActorRef> region, IActorRef self, int maxPending = 65536, TimeSpan? timeout = null)
    {
        _region = region;
        _self = self;
        _maxPending = maxPending;
        _timeoutUs = (long)(timeout ?? TimeSpan.FromSeconds(5)).TotalMicroseconds;
    }

    /// <summary>Sent by the conntrack to its own actor: a call it refused, to be answered outside Submit.</summary>
    public sealed record Refuse(long Id);

    public int Pending => _pending.Count;

    public void Submit(CtCall call)
    {
        long id = ++_nextId;
        _pending[id] = (call, NowUs());
        if (_pending.Count > _maxPending)
        {
            // Answered through the mailbox: the datapath is inside Submit and must not be re-entered.
            Refused++;
            _self.Tell(new Refuse(id));
            return;
        }
        Send(id, call);
    }

    private void Send(long id, CtCall call)
    {
        Queries++;
        var entity = CtRouting.EntityId(call.Packet.Span, call.Key, call.Request.Zone);
        _region().Tell(new CtQuery(id, entity, call.Packet.Span.ToArray(), call.Packet.InPort, CtWire.Meta(call.Key),
            CtWire.CtWords(call.Key), CtWire.ToWire(call.Request)), _self);
    }

    /// <summary>Handles an entity's answer: resumes the packet, or, when a reassembly entity returned the whole
    /// datagram, sends that on to its connection's entity (this node completed it, so this node continues it).</summary>
    public void OnReply(CtReply r, Datapath.Datapath dp)
    {
        if (!_pending.TryGetValue(r.Id, out var p)) return; // answered after its timeout
        var call = p.Call;
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
                Send(r.Id, call);
                return;
            }
            Finish(r.Id, call, CtOutcome.Drop("frag_reassembled_bad"), dp);
            return;
        }
        if (r.Verdict == CtWireVerdict.Continue && r.KeyWords.Length == FlowKey.Words) CtWire.ApplyCtWords(ref call.Key, r.KeyWords);
        var outcome = r.Verdict switch
        {
            CtWireVerdict.Continue => CtOutcome.Continue,
            CtWireVerdict.Stolen => CtOutcome.Stolen,
            _ => CtOutcome.Drop(r.DropReason ?? "ct_error"),
        };
        Finish(r.Id, call, outcome, dp);
    }

    public void OnRefuse(Refuse r, Datapath.Datapath dp)
    {
        if (_pending.TryGetValue(r.Id, out var p)) Finish(r.Id, p.Call, CtOutcome.Drop("ct_backlog_full"), dp);
    }

    /// <summary>Drops calls whose answer is overdue (an entity's node died mid-call); returns how many.</summary>
    public int ExpireOverdue(Datapath.Datapath dp)
    {
        long now = NowUs();
        var overdue = _pending.Where(kv => now - kv.Value.SentUs > _timeoutUs).Select(kv => kv.Key).ToList();
        foreach (var id in overdue) { Timeouts++; Finish(id, _pending[id].Call, CtOutcome.Drop("ct_timeout"), dp); }
        return overdue.Count;
    }

    private void Finish(long id, CtCall call, CtOutcome outcome, Datapath.Datapath dp)
    {
        _pending.Remove(id);
        dp.Resume(call, outcome);
    }

    private static long NowUs() => Environment.TickCount64 * 1000;
}
