using Akka.Actor;
using Switch.Core.Conntrack;
using Switch.Contracts;

namespace Switch.Actors.Cluster;

/// <summary>The sharded conntrack region: one entity type per id prefix (connection, datagram, expectation).</summary>
public static class ConntrackRegion
{
    public const string Name = "conntrack";

    /// <summary>Props for an entity; <paramref name="durable"/>: connections and expectations journal their state
    /// (reassembly in progress is not worth surviving a node: the sender retransmits).</summary>
    public static Props EntityProps(string entityId, IClock clock, ConntrackSettings settings, bool durable, EntityTimings? timings = null) =>
        entityId.StartsWith(CtRouting.FragmentPrefix, StringComparison.Ordinal) ? ReassemblyEntity.Props(clock, settings)
        : entityId.StartsWith(ExpectWire.Prefix, StringComparison.Ordinal) ? ExpectationEntity.Props(clock, durable)
        : entityId.StartsWith(BatchRelayEntity.Prefix, StringComparison.Ordinal) ? BatchRelayEntity.Props(clock, settings, durable)
        : ConnectionEntity.Props(clock, settings, durable, timings);
}
