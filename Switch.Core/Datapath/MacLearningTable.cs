namespace Switch.Core.Datapath;

/// <summary>
/// The NORMAL action's learning bridge: (VLAN, MAC) -> port with aging (OVS's default 300 s), so the
/// same MAC on two VLANs is two entries. Bounded: when full, the stalest entry is forgotten.
/// </summary>
public sealed class MacLearningTable
{
    private readonly Dictionary<(ushort Vlan, ulong Mac), (uint Port, long SeenUs)> _entries = new();
    public long AgingUs { get; }
    public int MaxEntries { get; }

    public MacLearningTable(TimeSpan? aging = null, int maxEntries = 8192)
    {
        AgingUs = (aging ?? TimeSpan.FromSeconds(300)).Ticks / 10;
        MaxEntries = maxEntries;
    }

    public int Count => _entries.Count;

    public void Learn(ushort vlan, ulong mac, uint port, long nowUs)
    {
        if ((mac >> 40 & 1) != 0) return; // group addresses are never learned
        if (_entries.Count >= MaxEntries && !_entries.ContainsKey((vlan, mac)))
        {
            var stalest = _entries.MinBy(e => e.Value.SeenUs).Key;
            _entries.Remove(stalest);
        }
        _entries[(vlan, mac)] = (port, nowUs);
    }

    /// <summary>The learned port for <paramref name="mac"/> on <paramref name="vlan"/>, or null (unknown or aged out).</summary>
    public uint? Lookup(ushort vlan, ulong mac, long nowUs)
    {
        if (!_entries.TryGetValue((vlan, mac), out var e)) return null;
        if (nowUs - e.SeenUs > AgingUs) { _entries.Remove((vlan, mac)); return null; }
        return e.Port;
    }

    public IEnumerable<(ushort Vlan, ulong Mac, uint Port, long SeenUs)> Entries =>
        _entries.Select(e => (e.Key.Vlan, e.Key.Mac, e.Value.Port, e.Value.SeenUs));
}
