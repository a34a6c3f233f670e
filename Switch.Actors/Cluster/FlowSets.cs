using Switch.Actors.Datapath;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>Flow tables as replicated text: canonical lines in, tables updated in place (unchanged flows keep their counters).</summary>
public static class FlowSets
{
    public static string[] Lines(FlowTables tables) =>
        tables.All.SelectMany(t => t.Flows).OrderBy(f => f.Table).ThenByDescending(f => f.Priority)
            .Select(f => f.ToString()).OrderBy(l => l, StringComparer.Ordinal).ToArray();

    /// <summary>Makes <paramref name="tables"/> hold exactly the flows of <paramref name="set"/>.</summary>
    public static void Apply(FlowTables tables, FlowSet set, long nowUs)
    {
        var wanted = new HashSet<string>(set.Lines, StringComparer.Ordinal);
        foreach (var t in tables.All.ToList())
            foreach (var f in t.Flows.ToList())
                if (!wanted.Remove(f.ToString())) t.Remove(f);
        foreach (var line in wanted) tables.Add(FlowParser.Parse(line), nowUs);
    }

    /// <summary>Applies one flow command to <paramref name="tables"/> with ovs-ofctl semantics; all lines parse
    /// first, so a bad line changes nothing. Returns the number of flows touched or the error.</summary>
    public static (int Affected, string? Error) Execute(FlowTables tables, FlowCommand cmd, long nowUs)
    {
        var mode = cmd.Kind == FlowCommandKind.Delete ? FlowTextMode.Select : FlowTextMode.Add;
        var flows = new List<Flow>();
        var lines = cmd.Kind == FlowCommandKind.Delete && cmd.Lines.Length == 0 ? new[] { "" } : cmd.Lines;
        for (int i = 0; i < lines.Length; i++)
        {
            var (f, err) = FlowParser.TryParse(lines[i], mode);
            if (err is not null) return (0, lines.Length == 1 ? err.ToString() : $"flow {i + 1}: {err}");
            flows.Add(f!);
        }
        int n = 0;
        foreach (var f in flows)
        {
            switch (cmd.Kind)
            {
                case FlowCommandKind.Add: tables.Add(f, nowUs); n++; break;
                case FlowCommandKind.Modify: n += tables.Modify(f, cmd.Strict, nowUs); break;
                default: n += tables.Delete(f, cmd.Strict); break;
            }
        }
        return (n, null);
    }
}
