using System.Text;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>`dswitch ctl cluster`: one row per member, the answering node marked '*', then the leader.</summary>
public static class ClusterTable
{
    public static string Format(ClusterStatus status)
    {
        var rows = new List<string[]> { new[] { "", "name", "address", "status", "roles", "shards", "connections", "leases", "api" } };
        foreach (var m in status.Members)
            rows.Add(new[] { m.Self ? "*" : "", m.Name, m.Address, m.Status, m.Roles.Count == 0 ? "-" : string.Join(",", m.Roles),
                m.Shards.ToString(), m.Connections.ToString(), m.Leases.ToString(), m.ApiUrl.Length == 0 ? "-" : m.ApiUrl });
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            var line = new StringBuilder();
            for (int c = 0; c < r.Length; c++)
            {
                // Counts read right-aligned, like the replay summary.
                var cell = c is 5 or 6 or 7 ? r[c].PadLeft(widths[c]) : r[c].PadRight(widths[c]);
                line.Append(cell).Append(c == r.Length - 1 ? "" : "  ");
            }
            sb.AppendLine(line.ToString().TrimEnd());
        }
        sb.AppendLine($"leader: {(status.Leader.Length == 0 ? "none" : status.Leader)}");
        return sb.ToString();
    }
}
