using System.Text;
using Akka.Actor;

namespace Switch.Actors.Cluster;

/// <summary>
/// Where a shard lives and where its replicas live, the same on every member: rendezvous (highest-random-weight)
/// hashing of the shard id with each member's address. The shard goes to the highest-ranked member (the allocation
/// strategy, <see cref="ReplicaAllocationStrategy"/>); its owner replicates it to the R−1 highest-ranked other members.
/// So when the owner dies, the highest-ranked survivor, the one the shard moves to, is its first replica: the state is
/// already there. A member joining or leaving changes the rank of the shards it ranks high for only.
/// </summary>
public static class ReplicaPlacement
{
    /// <summary>The shard's weight on one member (FNV-1a over "shard@address", then a 64-bit finalizer).</summary>
    public static ulong Score(string shard, Address member)
    {
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(shard + "@" + member)) { h ^= b; h *= 1099511628211UL; }
        h ^= h >> 33; h *= 0xff51afd7ed558ccdUL; h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53UL; h ^= h >> 33;
        return h;
    }

    /// <summary>Members from the highest weight for the shard down (ties by address, never in practice).</summary>
    public static List<Address> Ranked(string shard, IEnumerable<Address> members) =>
        members.Distinct().OrderByDescending(m => Score(shard, m)).ThenBy(m => m.ToString(), StringComparer.Ordinal).ToList();

    /// <summary>The members an owner replicates the shard to: the <paramref name="replicas"/>−1 highest-ranked others.</summary>
    public static Address[] Targets(string shard, Address owner, IEnumerable<Address> usable, int replicas) =>
        replicas <= 1 ? Array.Empty<Address>() : Ranked(shard, usable.Where(m => !m.Equals(owner))).Take(replicas - 1).ToArray();
}

/// <summary>Which side of a split may act: the split-brain resolver's keep-majority rule, which the replica store (no
/// answer without a majority) and the crash detector (no downing without one) apply to their own view.</summary>
public static class KeepMajority
{
    /// <summary>The members <paramref name="reachable"/> says this side still reaches are more than half of
    /// <paramref name="up"/>, or exactly half with the lowest address among them.</summary>
    public static bool Holds(IReadOnlyCollection<Address> up, Func<Address, bool> reachable)
    {
        if (up.Count <= 1) return true;
        int n = up.Count(reachable);
        if (2 * n != up.Count) return 2 * n > up.Count;
        return reachable(up.OrderBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Port).First());
    }
}
