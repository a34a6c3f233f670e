using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The journal behind the replicas: one row per record (<see cref="ReplicaItem"/>: a connection's or an
/// expectation's last state), keyed by shard and entity id, written in groups and read only when a shard starts on a
/// member and no member holds a copy of it (the whole cluster restarted, or the owner and every replica died). The
/// database itself lives behind this interface (Switch.Node: SQLite or PostgreSQL); the actors never block on it.
/// </summary>
public interface IStateJournal
{
    /// <summary>One transaction: every row of <paramref name="rows"/> replaced (a row with neither record is deleted).
    /// Keys are unique in a call.</summary>
    Task WriteAsync(IReadOnlyList<ReplicaItem> rows);

    /// <summary>Every row of <paramref name="shard"/>.</summary>
    Task<ReplicaItem[]> ReadShardAsync(string shard);
}

/// <summary>How a record is kept in a row: JSON of the journal's own event types (tolerant of added fields).</summary>
public static class StateRecords
{
    public const short ConnKind = 1, ExpectKind = 2;

    public static (short Kind, byte[] Data) Encode(ReplicaItem item) => item.Conn is { } c
        ? (ConnKind, JsonSerializer.SerializeToUtf8Bytes(c))
        : (ExpectKind, JsonSerializer.SerializeToUtf8Bytes(item.Expect!));

    public static ReplicaItem Decode(string shard, string key, short kind, byte[] data) => kind switch
    {
        ConnKind => new ReplicaItem(shard, key, Conn: JsonSerializer.Deserialize<ConnSaved>(data)),
        ExpectKind => new ReplicaItem(shard, key, Expect: JsonSerializer.Deserialize<ExpectData>(data)),
        _ => throw new InvalidDataException($"conntrack journal: row {shard}/{key} has unknown kind {kind}"),
    };
}

/// <summary>
/// Group commit for <see cref="IStateJournal"/> (a child of the member's <see cref="ReplicaStore"/>). Records queue
/// here, the last per key wins; one transaction at a time carries everything queued when it starts. So an idle
/// journal writes a change one round trip after it was made, and a busy one writes thousands of changes per
/// transaction. A failed transaction is retried (its rows re-queued under any newer ones) after a second; nothing is
/// dropped while the member lives. A read for a starting shard returns its rows with what is queued here laid over.
/// </summary>
public sealed class StateWriter : UntypedActor, IWithTimers
{
    public const string Name = "journal";
    private const int MaxRows = 20_000;

    private sealed record Written(int Rows, long Started, Exception? Error, List<ReplicaItem> Batch);
    private sealed class Retry { public static readonly Retry Instance = new(); }

    private readonly IStateJournal _journal;
    private readonly ReplicationStats _stats;
    private readonly JournalStats _latency;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Dictionary<(string, string), ReplicaItem> _pending = new();
    private bool _retryQueued;
    // The group in its transaction (null: none): one at a time.
    private List<ReplicaItem>? _writingBatch;
    private bool Writing => _writingBatch is not null;
    private readonly List<IActorRef> _flushWaiters = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public StateWriter(IStateJournal journal, ReplicationStats stats)
    {
        _journal = journal;
        _stats = stats;
        _latency = JournalStats.Get(Context.System);
    }

    public static Props Props(IStateJournal journal, ReplicationStats stats) =>
        Akka.Actor.Props.Create(() => new StateWriter(journal, stats));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ReplicaItem[] items:
                foreach (var i in items) _pending[(i.Shard, i.Key)] = i;
                _stats.JournalPending = _pending.Count;
                if (!Writing && !_retryQueued) Write();
                break;
            case Written w:
                _writingBatch = null;
                if (w.Error is null)
                {
                    _latency.Record(w.Started);
                    _stats.JournalWrites++;
                    _stats.JournalRows += w.Rows;
                }
                else
                {
                    _stats.JournalErrors++;
                    _log.Warning("conntrack journal: a write of {0} rows failed, retrying in 1 s: {1}", w.Rows, w.Error.GetBaseException().Message);
                    foreach (var i in w.Batch) _pending.TryAdd((i.Shard, i.Key), i);
                    _retryQueued = true;
                    Timers.StartSingleTimer("retry", Retry.Instance, TimeSpan.FromSeconds(1));
                }
                _stats.JournalPending = _pending.Count;
                if (!_retryQueued && _pending.Count > 0) Write();
                AnswerFlushes();
                break;
            case Retry:
                _retryQueued = false;
                if (!Writing && _pending.Count > 0) Write();
                break;
            case ReadShard r:
                // Rows of the shard on their way or queued here are newer than the table's: laid over what it reads.
                var newer = (_writingBatch ?? new List<ReplicaItem>()).Concat(_pending.Values).Where(i => i.Shard == r.Shard).ToList();
                var sender = Sender;
                var journal = _journal;
                Task.Run(() => journal.ReadShardAsync(r.Shard)).ContinueWith(t => sender.Tell(t.IsCompletedSuccessfully
                    ? new JournalShard(r.Shard, Overlay(t.Result, newer), null)
                    : new JournalShard(r.Shard, Array.Empty<ReplicaItem>(), (Exception?)t.Exception ?? new TaskCanceledException())), TaskScheduler.Default);
                break;
            case FlushJournal:
                // Answered once everything queued before it is written (tests, benches, a graceful stop).
                _flushWaiters.Add(Sender);
                AnswerFlushes();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private static ReplicaItem[] Overlay(ReplicaItem[] rows, List<ReplicaItem> newer)
    {
        if (newer.Count == 0) return rows;
        var byKey = rows.ToDictionary(r => r.Key, StringComparer.Ordinal);
        foreach (var i in newer)
            if (i.Conn is null && i.Expect is null) byKey.Remove(i.Key);
            else byKey[i.Key] = i;
        return byKey.Values.ToArray();
    }

    private void AnswerFlushes()
    {
        if (_pending.Count > 0 || Writing) return;
        foreach (var w in _flushWaiters) w.Tell(JournalFlushed.Instance);
        _flushWaiters.Clear();
    }

    private void Write()
    {
        List<ReplicaItem> batch;
        if (_pending.Count <= MaxRows)
        {
            batch = _pending.Values.ToList();
            _pending = new Dictionary<(string, string), ReplicaItem>();
        }
        else
        {
            batch = _pending.Values.Take(MaxRows).ToList();
            foreach (var i in batch) _pending.Remove((i.Shard, i.Key));
        }
        _writingBatch = batch;
        _stats.JournalPending = _pending.Count;
        long started = Stopwatch.GetTimestamp();
        var journal = _journal;
        var self = Self;
        Task.Run(() => journal.WriteAsync(batch)).ContinueWith(t => self.Tell(new Written(batch.Count, started,
            t.IsCompletedSuccessfully ? null : (Exception?)t.Exception ?? new TaskCanceledException(), batch)), TaskScheduler.Default);
    }

    protected override void PostStop()
    {
        // A graceful stop flushed before the system terminates (ClusterNode's coordinated-shutdown task); what still
        // queued then is said, not waited for.
        if (_pending.Count > 0) _log.Warning("conntrack journal: {0} rows not written at stop", _pending.Count);
    }
}

/// <summary>Store → its writer: the rows of <see cref="Shard"/>, with what is queued or being written for it laid over
/// them.</summary>
public sealed record ReadShard(string Shard);

/// <summary>The answer to <see cref="ReadShard"/> (<see cref="Error"/>: the journal could not be read).</summary>
public sealed record JournalShard(string Shard, ReplicaItem[] Rows, Exception? Error);

/// <summary>Asks the writer to answer <see cref="JournalFlushed"/> once everything queued is written.</summary>
public sealed class FlushJournal { public static readonly FlushJournal Instance = new(); }

public sealed class JournalFlushed { public static readonly JournalFlushed Instance = new(); }
