using Akka.Actor;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// One per shard ("b/{shard}"): receives the conntrack queries a node batched for this shard and hands each to
/// its entity through the shard (the parent), keeping the original sender. One remote message then carries many
/// decisions, and because every query for an entity passes the same relay, their order is kept.
/// </summary>
public sealed class BatchRelayEntity : UntypedActor
{
    public const string Prefix = "b/";

    public static Props Props() => Akka.Actor.Props.Create(() => new BatchRelayEntity());

    public static string EntityId(string shardId) => Prefix + shardId;

    protected override void OnReceive(object message)
    {
        if (message is CtQueryBatch b)
        {
            if (b.Reports is not null) foreach (var r in b.Reports) Context.Parent.Forward(r);
            foreach (var q in b.Queries) Context.Parent.Forward(q);
        }
        else Unhandled(message);
    }
}
