namespace Switch.Contracts.Control;

// What the status page (GET /) reads from GET /status: a picture of the cluster as the answering node sees it, sized
// by the number of members and a top-N of flows, never by the number of connections.

/// <summary>The cluster (or the single node) as <see cref="Node"/> sees it at <see cref="TimeUnixMs"/>.</summary>
/// <param name="FlowCount">Flows in the answering node's tables; <see cref="TopFlows"/> the busiest of them.</param>
public sealed record StatusReport(string Node, bool Clustered, string Leader, long TimeUnixMs, IReadOnlyList<MemberReport> Members,
    int FlowCount, IReadOnlyList<FlowReport> TopFlows, JournalReport? Journal);

/// <summary>One member. <see cref="Answered"/> false: it did not answer in time (its counters are zeros then).
/// <see cref="CtAsked"/>: ct calls sent to conntrack entities; <see cref="CtLocal"/>: decided on the member under a
/// lease (the fast path). Counters are totals since the member started; rates come from two reports.</summary>
public sealed record MemberReport(string Name, string Address, string Status, bool Reachable, bool Self, bool Answered,
    int Shards, int Connections, int Leases, long CtAsked, long CtLocal, long CtTimeouts, long Refused,
    IReadOnlyDictionary<string, long> Drops);

public sealed record FlowReport(int Table, long Packets, long Bytes, string Flow);

/// <summary>The answering node's conntrack journal writes (durable clusters only).</summary>
public sealed record JournalReport(long Writes, double MeanSeconds, double MaxSeconds);
