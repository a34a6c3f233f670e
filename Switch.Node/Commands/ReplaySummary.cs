using System.Text;

namespace Switch.Node.Commands;

/// <summary>The table printed after a replay: per port, per table, drop reasons.</summary>
public static class ReplaySummary
{
    public static string Format(ReplayJob job)
    {
        var c = job.Datapath.Counters;
        var sb = new StringBuilder();
        sb.AppendLine($"frames replayed: {job.Frames}");
        for (int i = 0; i < job.Source.Counters.Count; i++)
        {
            var ic = job.Source.Counters[i];
            if (ic.NonEthernetSkipped > 0) sb.AppendLine($"  {ic.Input.Path}: {ic.NonEthernetSkipped} non-Ethernet frames skipped");
        }
        sb.AppendLine();
        sb.AppendLine($"{"port",-8}{"rx_packets",12}{"rx_bytes",12}{"tx_packets",12}{"tx_bytes",12}{"dropped",10}");
        foreach (var (no, port) in job.Datapath.Ports)
        {
            var s = c.Port(no);
            sb.AppendLine($"{port.Name,-8}{s.RxPackets,12}{s.RxBytes,12}{s.TxPackets,12}{s.TxBytes,12}{s.Dropped + s.TxDropped,10}");
        }
        sb.AppendLine();
        sb.AppendLine($"{"table",-8}{"flows",8}{"lookups",12}{"matched",12}{"missed",12}");
        foreach (var (t, s) in c.Tables)
            sb.AppendLine($"{t,-8}{job.Datapath.Tables[t]?.Count ?? 0,8}{s.Lookups,12}{s.Matched,12}{s.Lookups - s.Matched,12}");
        sb.AppendLine();
        if (c.Drops.Count == 0) sb.AppendLine("drops: none");
        else
        {
            sb.AppendLine($"{"drop reason",-40}{"packets",10}");
            foreach (var (r, n) in c.Drops) sb.AppendLine($"{r,-40}{n,10}");
        }
        if (c.CtExecutions > 0) sb.AppendLine($"\nct executions: {c.CtExecutions}, fragments held: {c.CtStolen}, refragmented: {c.Refragmented}");
        if (job.Conntrack is Core.Conntrack.ConntrackEngine ct) sb.AppendLine(ConntrackLine(ct.Counters, ct.Settings.MaxConnections));
        if (c.ToController > 0) sb.AppendLine($"sent to controller (logged): {c.ToController}");
        return sb.ToString();
    }

    /// <summary>The table's bounds at work: entries left, commits, early drops (unassured connections evicted to
    /// make room: no packet is dropped for them, so they are not among the drop reasons) and refusals.</summary>
    public static string ConntrackLine(Core.Conntrack.ConntrackCounters c, int max) =>
        $"conntrack: {c.Entries} entries (limit {max}), {c.Commits} committed, {c.Evictions} early-dropped (evicted to make room), " +
        $"{c.Refused} commits refused (table full or zone limit), {c.Expired} expired";
}
