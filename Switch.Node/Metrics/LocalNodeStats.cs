using Switch.Actors.Cluster;

namespace Switch.Node.Metrics;

/// <summary>A single node's counters for a scrape, copied under the control's lock: the datapath's, in the form a
/// cluster member's datapath actor reports them, and the in-process conntrack's sizes.</summary>
/// <param name="EntriesByZone">Committed connections per conntrack zone (the zone number as text).</param>
public sealed record LocalNodeStats(DatapathStats Datapath, IReadOnlyDictionary<string, int> EntriesByZone, int Expectations, int Reassembly,
    long EarlyDrops = 0, long Refused = 0);
