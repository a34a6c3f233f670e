using Akka.Cluster.Sharding;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// Routes conntrack messages to their entity; shard = stable hash of the entity id mod the shard count.
/// (Akka 1.5 unwraps ShardingEnvelope and StartEntity itself before asking an extractor.)
/// </summary>
public sealed class ConntrackMessageExtractor : IMessageExtractor
{
    private readonly int _shards;
    public ConntrackMessageExtractor(int shards) => _shards = shards;

    public string? EntityId(object message) => message switch
    {
        CtQuery q => q.EntityId,
        OpenedQuery o => o.EntityId,
        CtQueryBatch b => b.EntityId,
        LeaseReport r => r.EntityId,
        WakeEntity w => w.EntityId,
        ClaimState c => c.RelayId,
        DumpEntity d => d.EntityId,
        FlushEntity f => f.EntityId,
        ExpectRegister r => r.EntityId,
        ExpectLookup l => l.EntityId,
        ExpectRemove rm => rm.EntityId,
        ExpectUsed u => u.EntityId,
        _ => null,
    };

    public object? EntityMessage(object message) => message;

    public string ShardId(object message) => ShardId(EntityId(message) ?? "");

    /// <summary>A batch relay ("b/{shard}") lives in the shard it names; every other entity by hash.</summary>
    public string ShardId(string entityId, object? messageHint = null) =>
        entityId.StartsWith(BatchRelayEntity.Prefix, StringComparison.Ordinal)
            ? entityId[BatchRelayEntity.Prefix.Length..]
            : CtRouting.ShardId(entityId, _shards);
}
