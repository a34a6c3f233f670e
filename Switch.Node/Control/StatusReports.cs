using System.Globalization;
using System.Text.RegularExpressions;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>Pieces of the status report both controls build the same way.</summary>
public static partial class StatusReports
{
    /// <summary>How many of the busiest flows the status report carries.</summary>
    public const int TopFlowCount = 20;

    [GeneratedRegex(@"table=(\d+), n_packets=(\d+), n_bytes=(\d+)")]
    private static partial Regex DumpCounters();

    /// <summary>The busiest flows of dump-flows lines (by packets, then table and text), with their counters.</summary>
    public static IReadOnlyList<FlowReport> TopFlows(IEnumerable<string> dumpLines, int n = TopFlowCount)
    {
        var top = new PriorityQueue<FlowReport, (long, string)>();
        foreach (var line in dumpLines)
        {
            var m = DumpCounters().Match(line);
            if (!m.Success) continue;
            // The flow itself: what follows the counters and the timeouts/ages (", priority=…,match actions=…").
            int at = line.IndexOf(", priority=", StringComparison.Ordinal);
            if (at < 0) at = line.LastIndexOf(", ", line.IndexOf(" actions=", StringComparison.Ordinal), StringComparison.Ordinal);
            var r = new FlowReport(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), at < 0 ? line.Trim() : line[(at + 2)..]);
            top.Enqueue(r, (r.Packets, r.Flow));
            if (top.Count > n) top.Dequeue();
        }
        var list = new List<FlowReport>(top.Count);
        while (top.Count > 0) list.Add(top.Dequeue());
        list.Reverse();
        return list;
    }

    public static long NowUnixMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
