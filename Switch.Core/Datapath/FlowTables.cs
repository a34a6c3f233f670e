namespace Switch.Core.Datapath;

/// <summary>
/// The pipeline's 255 tables and the ovs-ofctl flow-mod semantics: add-flow replaces a flow with the same
/// match and priority; mod-flows/del-flows select loosely (every flow the given match covers) or, with
/// --strict, only the flow with exactly that match and priority; a cookie mask narrows the selection.
/// </summary>
public sealed class FlowTables
{
    public const int Count = 255;
    private readonly FlowTable?[] _tables = new FlowTable?[Count];

    public FlowTable? this[int id] => _tables[id];
    public FlowTable GetOrCreate(byte id) => _tables[id] ??= new FlowTable(id);
    public IEnumerable<FlowTable> All => _tables.Where(t => t is not null)!;
    public int FlowCount => All.Sum(t => t.Count);

    public void Add(Flow flow, long nowUs)
    {
        flow.CreatedUs = flow.LastUsedUs = nowUs;
        GetOrCreate(flow.Table).Add(flow);
    }

    public IEnumerable<Flow> Select(Flow sel, bool strict, uint? outPort = null)
    {
        var tables = sel.TableGiven ? new[] { _tables[sel.Table] } : _tables;
        foreach (var t in tables)
        {
            if (t is null) continue;
            foreach (var f in t.Flows.ToList())
            {
                if (strict ? (f.Priority != sel.Priority || !f.Match.SameAs(sel.Match)) : !f.Match.IsWithin(sel.Match)) continue;
                if (((f.Cookie ^ sel.Cookie) & sel.CookieMask) != 0) continue;
                if (outPort is uint p && !f.Actions.Any(a => a is OutputAction o && o.Port == p)) continue;
                yield return f;
            }
        }
    }

    /// <summary>del-flows: returns how many flows were removed.</summary>
    public int Delete(Flow sel, bool strict, uint? outPort = null)
    {
        int n = 0;
        foreach (var f in Select(sel, strict, outPort).ToList())
            if (_tables[f.Table]!.Remove(f)) n++;
        return n;
    }

    /// <summary>mod-flows: replaces the actions (and cookie, when given) of the selected flows, keeping counters.
    /// As ovs-ofctl, a strict mod-flows that selects nothing adds the flow.</summary>
    public int Modify(Flow sel, bool strict, long nowUs)
    {
        int n = 0;
        foreach (var f in Select(new Flow { Table = sel.Table, TableGiven = sel.TableGiven, Priority = sel.Priority, Match = sel.Match, CookieMask = sel.CookieMask, Cookie = sel.Cookie }, strict).ToList())
        {
            f.Actions = sel.Actions;
            n++;
        }
        if (n == 0 && strict) Add(sel, nowUs);
        return n;
    }

    /// <summary>Removes flows whose idle or hard timeout has passed; returns them.</summary>
    public List<Flow> Expire(long nowUs)
    {
        var gone = new List<Flow>();
        foreach (var t in All)
            foreach (var f in t.Flows.ToList())
            {
                bool hard = f.HardTimeout != 0 && nowUs - f.CreatedUs >= f.HardTimeout * 1_000_000L;
                bool idle = f.IdleTimeout != 0 && nowUs - f.LastUsedUs >= f.IdleTimeout * 1_000_000L;
                if ((hard || idle) && t.Remove(f)) gone.Add(f);
            }
        return gone;
    }

    /// <summary>dump-flows output lines, ordered as ovs-ofctl --sort-less: table, then priority (high first).</summary>
    public IEnumerable<string> Dump(long nowUs, Flow? sel = null) =>
        (sel is null ? All.SelectMany(t => t.Flows) : Select(sel, strict: false))
            .OrderBy(f => f.Table).ThenByDescending(f => f.Priority).ThenBy(f => f.FormatMatch(), StringComparer.Ordinal)
            .Select(f => f.FormatDump(nowUs));
}
