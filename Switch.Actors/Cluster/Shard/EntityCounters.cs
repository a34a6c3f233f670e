using Akka.Actor;

namespace Switch.Actors.Cluster;

/// <summary>What one member's conntrack entities and relays did, counted per ActorSystem (an Akka extension), never
/// process-wide: members sharing a process (tests, the replay cluster, benches) each count their own, so a test reads
/// exactly its cluster's numbers (sum over its members).</summary>
public sealed class EntityCounters : IExtension
{
    /// <summary>Connection entities started (an uncommitted flood must start none).</summary>
    public long ConnectionsStarted;
    /// <summary>Connection entities that passivated with their state kept in the shard directory.</summary>
    public long Parked;
    /// <summary>Lookups of tuples no entity holds, answered by a relay without starting one.</summary>
    public long GateAnswered;
    /// <summary>Connections a relay committed itself (born lent, parked, no entity started).</summary>
    public long CommittedHere;
    /// <summary>Holder reports a relay applied to parked state in place.</summary>
    public long ReportsHere;

    public static EntityCounters Get(ActorSystem system) => system.WithExtension<EntityCounters, EntityCountersProvider>();
}

public sealed class EntityCountersProvider : ExtensionIdProvider<EntityCounters>
{
    public override EntityCounters CreateExtension(ExtendedActorSystem system) => new();
}

/// <summary>How long connection entities wait, passed in (per member) rather than set process-wide.</summary>
/// <param name="ParkAfter">How long a lent connection's entity stays started after its last message before it
/// passivates (the holder's first reports come right after the grant: restarting for each would cost more).</param>
/// <param name="IdleParkAfter">The same for an entity that decides its connection itself (not lent: asymmetric, or
/// never asked for a lease).</param>
/// <param name="RevokeWait">How long a revocation waits for the holder; past it the holder is taken for dead and the
/// entity's (reported) state rules.</param>
public sealed record EntityTimings(TimeSpan ParkAfter, TimeSpan IdleParkAfter, TimeSpan RevokeWait)
{
    public static readonly EntityTimings Default = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2));
}
