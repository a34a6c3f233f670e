namespace Switch.Core.Datapath;

/// <summary>Per-port and per-table packet counts and drops by named reason, for the summary table and metrics.</summary>
public sealed class DatapathCounters
{
    public sealed class PortStats { public long RxPackets, RxBytes, TxPackets, TxBytes, TxDropped, Dropped; }
    public sealed class TableStats { public long Lookups, Matched; }

    public SortedDictionary<uint, PortStats> Ports { get; } = new();
    public SortedDictionary<byte, TableStats> Tables { get; } = new();
    public SortedDictionary<string, long> Drops { get; } = new(StringComparer.Ordinal);
    public long ToController, CtExecutions, CtStolen, Refragmented;

    public PortStats Port(uint p)
    {
        if (!Ports.TryGetValue(p, out var s)) Ports[p] = s = new PortStats();
        return s;
    }

    public void TableLookup(byte t, bool matched)
    {
        if (!Tables.TryGetValue(t, out var s)) Tables[t] = s = new TableStats();
        s.Lookups++;
        if (matched) s.Matched++;
    }

    public void Drop(string reason) => Drops[reason] = Drops.GetValueOrDefault(reason) + 1;
}
