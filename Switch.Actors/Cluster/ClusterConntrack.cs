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
    private readonly Dictionary<string, List<CtQuery>> _batches = new();
    private readonly int _shards;
    private bool _flushScheduled;
    private long _nextId;

    /// <summary>Most queries one batch carries; a fuller batch leaves at once.</summary>
    public const int MaxBatch = 64;
    public long BatchesSent, BatchedQueries;

    public long Timeouts, Refused, Queries, RemoteReassembled;
    /// <summary>ct calls finished: answered, timed out or refused (metrics: decisions per second).</summary>
    public long Decisions;

    public ClusterConntrack(Func<IActorRef> region, IActorRef self, int shards, int maxPending = 65536, TimeSpan? timeout = null)
    {
        _shards = shards;
        _region = region;
        _self = self;
        _maxPending = maxPending;
        _timeoutUs = (long)(timeout ?? TimeSpan.FromSeconds(5)).TotalMicroseconds;
    }

    /// <summary>Sent by the conntrack to its own actor: a call it refused, to be answered outside Submit.</summary>
    public sealed record Refuse(long Id);

    /// <summary>Sent to its own actor when the first query of a batch is queued: by the time it is processed,
    /// every packet already in the mailbox has added its query, so batches fill under load and a lone packet
    /// waits for nothing but its own turn.</summary>
    public sealed class Flush { public static readonly Flush Instance = new(); }

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
        var q = new CtQuery(id, entity, call.Packet.Span.ToArray(), call.Packet.InPort, CtWire.Meta(call.Key),
            CtWire.CtWords(call.Key), CtWire.ToWire(call.Request));
        var shard = CtRouting.ShardId(entity, _shards);
        if (!_batches.TryGetValue(shard, out var batch)) _batches[shard] = batch = new List<CtQuery>();
        batch.Add(q);
        if (batch.Count >= MaxBatch) SendBatch(shard, batch);
        else if (!_flushScheduled) { _flushScheduled = true; _self.Tell(Flush.Instance); }
    }

    /// <summary>Sends every queued batch (the <see cref="Flush"/> message).</summary>
    public void OnFlush()
    {
        _flushScheduled = false;
        foreach (var (shard, batch) in _batches)
            if (batch.Count > 0) SendBatch(shard, batch);
    }

    private void SendBatch(string shard, List<CtQuery> batch)
    {
        if (batch.Count == 1) _region().Tell(batch[0], _self);
        else
        {
            _region().Tell(new CtQueryBatch(BatchRelayEntity.EntityId(shard), batch.ToArray()), _self);
            BatchesSent++;
            BatchedQueries += batch.Count;
        }
        batch.Clear();
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
        Decisions++;
        dp.Resume(call, outcome);
    }

    private static long NowUs() => Environment.TickCount64 * 1000;
}
