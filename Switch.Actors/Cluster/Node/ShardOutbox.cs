using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// A datapath's queries and lease reports on their way to the shards, one batch per shard. The first item of a batch
/// sends <see cref="ClusterConntrack.Flush"/> to the datapath's own mailbox: by the time it is processed, every packet
/// already in the mailbox has added its query, so batches fill under load and a lone packet waits for nothing but its
/// own turn. A batch that reaches <see cref="MaxBatch"/> items or <see cref="ClusterLimits.PartBytes"/> leaves at once.
/// </summary>
public sealed class ShardOutbox
{
    /// <summary>Most queries one batch carries; a fuller batch leaves at once.</summary>
    public const int MaxBatch = 64;

    private sealed class Batch
    {
        public readonly List<CtQuery> Queries = new();
        public readonly List<LeaseReport> Reports = new();
        /// <summary>Bytes of the frames queued (the bulk of a batch on the wire).</summary>
        public long Bytes;
        public int Count => Queries.Count + Reports.Count;
    }

    private readonly Action<object> _toRegion;
    private readonly Action<object> _toSelf;
    private readonly Dictionary<string, Batch> _batches = new();
    private bool _flushScheduled;

    public long BatchesSent, BatchedQueries;

    public ShardOutbox(Action<object> toRegion, Action<object> toSelf)
    {
        _toRegion = toRegion;
        _toSelf = toSelf;
    }

    public void Add(string shard, CtQuery? q, LeaseReport? report)
    {
        if (!_batches.TryGetValue(shard, out var batch)) _batches[shard] = batch = new Batch();
        if (q is not null) { batch.Queries.Add(q); batch.Bytes += q.Frame.Length; }
        if (report is not null) batch.Reports.Add(report);
        if (batch.Count >= MaxBatch || batch.Bytes >= ClusterLimits.PartBytes) Send(shard, batch);
        else if (!_flushScheduled) { _flushScheduled = true; _toSelf(ClusterConntrack.Flush.Instance); }
    }

    /// <summary>Sends every queued batch.</summary>
    public void Flush()
    {
        _flushScheduled = false;
        foreach (var (shard, batch) in _batches)
            if (batch.Count > 0) Send(shard, batch);
    }

    private void Send(string shard, Batch batch)
    {
        // Always through the shard's relay, a lone report too: it keeps each entity's queries and reports in the order
        // they left (a report sent straight to the entity could overtake an older one still in a batch), and it is the
        // shard's gate. Reports first: a report describes the state before the queries behind it.
        _toRegion(new CtQueryBatch(BatchRelayEntity.EntityId(shard), batch.Queries.ToArray(),
            batch.Reports.Count > 0 ? batch.Reports.ToArray() : null));
        if (batch.Queries.Count > 1) { BatchesSent++; BatchedQueries += batch.Queries.Count; }
        batch.Queries.Clear();
        batch.Reports.Clear();
        batch.Bytes = 0;
    }
}
