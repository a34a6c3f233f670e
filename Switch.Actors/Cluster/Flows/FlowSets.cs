using Switch.Core.Datapath;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>Flow tables as replicated text: canonical lines in, tables updated in place (unchanged flows keep their
/// counters); and flow changes (deltas) parsed once and applied with ovs-ofctl semantics.</summary>
public static class FlowSets
{
    public static string[] Lines(FlowTables tables) =>
        tables.All.SelectMany(t => t.Flows).Select(f => f.ToString()).OrderBy(l => l, StringComparer.Ordinal).ToArray();

    /// <summary>Makes <paramref name="tables"/> hold exactly the flows of <paramref name="set"/>.</summary>
    public static void Apply(FlowTables tables, FlowSet set, long nowUs)
    {
        var wanted = new HashSet<string>(set.Lines, StringComparer.Ordinal);
        foreach (var t in tables.All.ToList())
            foreach (var f in t.Flows.ToList())
                if (!wanted.Remove(f.ToString())) t.Remove(f);
        foreach (var line in wanted) tables.Add(FlowParser.Parse(line), nowUs);
    }

    /// <summary>Parses every line of a change first (a bad line changes nothing): the flows, or the error naming the line.</summary>
    public static (List<Flow>? Flows, string? Error) Parse(byte kind, IReadOnlyList<string> lines)
    {
        var mode = kind == FlowCommandKind.Delete ? FlowTextMode.Select : FlowTextMode.Add;
        var flows = new List<Flow>(lines.Count);
        var all = kind == FlowCommandKind.Delete && lines.Count == 0 ? new[] { "" } : lines;
        for (int i = 0; i < all.Count; i++)
        {
            var (f, err) = FlowParser.TryParse(all[i], mode);
            if (err is not null) return (null, all.Count == 1 ? err.ToString() : $"flow {i + 1}: {err}");
            flows.Add(f!);
        }
        return (flows, null);
    }

    /// <summary>Applies parsed flows of one change with ovs-ofctl semantics; returns the number of flows touched.</summary>
    public static int Apply(FlowTables tables, byte kind, bool strict, IEnumerable<Flow> flows, long nowUs)
    {
        int n = 0;
        foreach (var f in flows)
        {
            switch (kind)
            {
                case FlowCommandKind.Add: tables.Add(f, nowUs); n++; break;
                case FlowCommandKind.Modify: n += tables.Modify(f, strict, nowUs); break;
                default: n += tables.Delete(f, strict); break;
            }
        }
        return n;
    }

    /// <summary>Applies one flow command to <paramref name="tables"/> with ovs-ofctl semantics; all lines parse
    /// first, so a bad line changes nothing. Returns the number of flows touched or the error.</summary>
    public static (int Affected, string? Error) Execute(FlowTables tables, FlowCommand cmd, long nowUs)
    {
        var (flows, err) = Parse(cmd.Kind, cmd.Lines);
        return err is not null ? (0, err) : (Apply(tables, cmd.Kind, cmd.Strict, flows!, nowUs), null);
    }

    /// <summary>A table's lines as <see cref="FlowSnapshotPart"/>s (at least one, the last with More false).</summary>
    public static IEnumerable<FlowSnapshotPart> SnapshotParts(long version, string[] lines)
    {
        var parts = ClusterLimits.Parts(lines, l => l.Length).ToList();
        for (int i = 0; i < parts.Count; i++) yield return new FlowSnapshotPart(version, parts[i], i < parts.Count - 1);
    }

    /// <summary>A change's lines as <see cref="FlowDelta"/>s (at least one, the last with More false).</summary>
    public static IEnumerable<FlowDelta> DeltaParts(long version, byte kind, bool strict, string[] lines)
    {
        var parts = ClusterLimits.Parts(lines, l => l.Length).ToList();
        for (int i = 0; i < parts.Count; i++) yield return new FlowDelta(version, kind, strict, parts[i], i < parts.Count - 1);
    }
}
