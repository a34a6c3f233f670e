namespace Switch.Actors.Cluster;

/// <summary>Local only: asks this node's <see cref="DatapathActor"/> for a copy of its counters (metrics).</summary>
public sealed class GetDatapathStats { public static readonly GetDatapathStats Instance = new(); }

/// <summary>A copy of one node's datapath counters, taken inside the actor so the scrape never races it.</summary>
/// <param name="PortPackets">Packets by (OpenFlow port, action: rx, tx, tx_dropped, dropped).</param>
/// <param name="Drops">Drops by reason, as the summary names them.</param>
/// <param name="CtDecisions">ct calls answered (by an entity, locally under a lease, or dropped on timeout or backlog).</param>
/// <param name="CtLocal">ct calls decided locally under a lease.</param>
/// <param name="LeasesHeld">connections lent to this node now.</param>
public sealed record DatapathStats(
    IReadOnlyList<(uint Port, string Action, long Packets)> PortPackets,
    IReadOnlyDictionary<string, long> Drops,
    long CtQueries, long CtDecisions, long CtTimeouts, long CtRefused, int CtPending, long ToController, long CtLocal = 0, int LeasesHeld = 0);
