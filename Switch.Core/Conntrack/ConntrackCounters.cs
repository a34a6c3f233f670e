namespace Switch.Core.Conntrack;

/// <summary>What the engine counts. Owned and updated by one engine (not thread-safe, like the engine).</summary>
public sealed class ConntrackCounters
{
    private readonly Dictionary<ushort, int> _zoneEntries = new();
    private readonly Dictionary<string, long> _drops = new(StringComparer.Ordinal);

    /// <summary>Live committed connections (nf_conntrack_count).</summary>
    public int Entries { get; internal set; }
    public IReadOnlyDictionary<ushort, int> ZoneEntries => _zoneEntries;
    /// <summary>Connections created by a commit.</summary>
    public long Commits { get; internal set; }
    /// <summary>Unassured connections early-dropped to make room.</summary>
    public long Evictions { get; internal set; }
    /// <summary>Commits refused by the global or a zone limit (the packet was dropped).</summary>
    public long Refused { get; internal set; }
    /// <summary>Connections removed by their timer.</summary>
    public long Expired { get; internal set; }
    /// <summary>Packets reported +trk+inv.</summary>
    public long Invalid { get; internal set; }
    public int Expectations { get; internal set; }
    public long ExpectationsCreated { get; internal set; }
    /// <summary>Expectations that became a connection.</summary>
    public long ExpectationsMatched { get; internal set; }
    /// <summary>FTP addresses rejected because they were not the sender's.</summary>
    public long FtpAddressMismatch { get; internal set; }
    public long FragmentsHeld { get; internal set; }
    public long ReassembledDatagrams { get; internal set; }
    /// <summary>Held fragments thrown away with their datagram (overlap, limits, timeout).</summary>
    public long FragmentsDiscarded { get; internal set; }
    /// <summary>Drops by <see cref="CtDropReasons"/> name.</summary>
    public IReadOnlyDictionary<string, long> Drops => _drops;

    public long DropCount(string reason) => _drops.TryGetValue(reason, out long n) ? n : 0;
    public int ZoneCount(ushort zone) => _zoneEntries.TryGetValue(zone, out int n) ? n : 0;

    internal void Drop(string reason, long n = 1) =>
        _drops[reason] = (_drops.TryGetValue(reason, out long v) ? v : 0) + n;

    internal void ZoneDelta(ushort zone, int delta)
    {
        int n = (_zoneEntries.TryGetValue(zone, out int v) ? v : 0) + delta;
        if (n == 0) _zoneEntries.Remove(zone); else _zoneEntries[zone] = n;
        Entries += delta;
    }
}
