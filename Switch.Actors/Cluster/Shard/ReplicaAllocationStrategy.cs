using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;

namespace Switch.Actors.Cluster;

/// <summary>
/// Shard allocation that knows the replicas (<see cref="ReplicaPlacement"/>): a shard goes to the highest-ranked Up,
/// reachable member with a region, so after its owner's loss it lands on its first replica, which holds its state hot.
/// Rebalancing moves a shard to the member that ranks highest for it (a member that joined) only once that member has
/// been Up for <see cref="Settle"/>, by when the owner has copied the shard to it (it is the owner's first replica
/// target), and at most <see cref="MaxMoves"/> shards at a time, so live state moves, a few shards at a time, instead
/// of being dropped on hand-off.
/// </summary>
public sealed class ReplicaAllocationStrategy : IShardAllocationStrategy
{
    public const int MaxMoves = 2;
    private readonly ActorSystem _system;
    private readonly Dictionary<Address, DateTime> _seen = new();
    public TimeSpan Settle { get; }

    private readonly bool _rebalance;

    /// <param name="rebalance">Move shards to joining members (replicated clusters; without replicas a moved shard's
    /// state would stay behind).</param>
    public ReplicaAllocationStrategy(ActorSystem system, bool rebalance, TimeSpan? settle = null)
    {
        _system = system;
        _rebalance = rebalance;
        Settle = settle ?? TimeSpan.FromSeconds(15);
    }

    private Address AddressOf(IActorRef region) =>
        region.Path.Address.HasGlobalScope ? region.Path.Address : Akka.Cluster.Cluster.Get(_system).SelfAddress;

    /// <summary>Regions on members that are Up and reachable, by address.</summary>
    private Dictionary<Address, IActorRef> Eligible(IEnumerable<IActorRef> regions)
    {
        var state = Akka.Cluster.Cluster.Get(_system).State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var up = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp && !unreachable.Contains(m.Address))
            .Select(m => m.Address).ToHashSet();
        var now = DateTime.UtcNow;
        var result = new Dictionary<Address, IActorRef>();
        foreach (var r in regions)
        {
            var a = AddressOf(r);
            if (!up.Contains(a)) continue;
            result[a] = r;
            _seen.TryAdd(a, now);
        }
        foreach (var gone in _seen.Keys.Where(a => !up.Contains(a)).ToList()) _seen.Remove(gone);
        return result;
    }

    public Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        var eligible = Eligible(currentShardAllocations.Keys);
        if (eligible.Count == 0) return Task.FromResult(requester);
        var best = ReplicaPlacement.Ranked(shardId, eligible.Keys)[0];
        return Task.FromResult(eligible[best]);
    }

    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress)
    {
        int room = MaxMoves - rebalanceInProgress.Count;
        var moves = ImmutableHashSet<string>.Empty;
        if (room <= 0 || !_rebalance) return Task.FromResult<IImmutableSet<string>>(moves);
        var eligible = Eligible(currentShardAllocations.Keys);
        var now = DateTime.UtcNow;
        foreach (var (region, shards) in currentShardAllocations)
        {
            var owner = AddressOf(region);
            foreach (var shard in shards.OrderBy(s => s, StringComparer.Ordinal))
            {
                if (moves.Count >= room) return Task.FromResult<IImmutableSet<string>>(moves);
                if (rebalanceInProgress.Contains(shard) || eligible.Count == 0) continue;
                var best = ReplicaPlacement.Ranked(shard, eligible.Keys)[0];
                // Moved only to a member settled long enough to hold the shard's copy, and only off a member that is
                // still eligible itself (a shard of an unreachable member moves when that member is downed).
                if (best.Equals(owner) || !eligible.ContainsKey(owner) || now - _seen[best] < Settle) continue;
                moves = moves.Add(shard);
            }
        }
        return Task.FromResult<IImmutableSet<string>>(moves);
    }
}
