using System.Runtime.CompilerServices;

namespace Switch.Core.Conntrack;

public sealed partial class ConntrackEngine
{
    /// <summary>Committed connections (read-only view for tests, dumps and the cluster shell).</summary>
    public IEnumerable<Connection> Connections => _table.Values;

    public int Count => _table.Count;

    /// <summary>Datagrams whose fragments are held, waiting to be whole (metrics).</summary>
    public int ReassemblyInProgress => _reasm.QueueCount;

    public bool TryGet(in ConnKey key, out Connection? c) => _table.TryGetValue(key, out c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Connection? Lookup(in ConnKey key, long now)
    {
        if (!_table.TryGetValue(key, out var c)) return null;
        if (c.ExpiresUs > now) return c;
        // Found but its timer has run out (nf_ct_is_expired on lookup): reap it now.
        Remove(c);
        Counters.Expired++;
        return null;
    }

    private bool Owns(Connection c) => _table.TryGetValue(c.Key, out var cur) && ReferenceEquals(cur, c);

    private void Insert(Connection c)
    {
        _table.Add(c.Key, c);
        Counters.ZoneDelta(c.Zone, +1);
        Counters.Commits++;
        LinkUnassured(c);
    }

    /// <summary>Deletes a committed connection (expiry, flush, eviction, force, TCP reopen or kill) and the
    /// expectations it owns.</summary>
    public void Remove(Connection c)
    {
        if (c.Has(ConnStatus.Dying) || !Owns(c)) return;
        c.Status |= ConnStatus.Dying;
        _table.Remove(c.Key);
        Counters.ZoneDelta(c.Zone, -1);
        if (c.InUnassuredList) UnlinkUnassured(c);
        _expect.RemoveAllOf(c);
    }

    /// <summary>Adopts a connection tracked elsewhere (another engine or a recovered entity), as the cluster
    /// moves one between actors. False when the key is already present or the connection is not committed.</summary>
    public bool Import(Connection c)
    {
        if (!c.Has(ConnStatus.Confirmed) || c.Has(ConnStatus.Dying) || _table.ContainsKey(c.Key)) return false;
        _table.Add(c.Key, c);
        Counters.ZoneDelta(c.Zone, +1);
        LinkUnassured(c);
        c.HeapDeadlineUs = long.MaxValue;
        SetExpiry(c, c.ExpiresUs);
        return true;
    }

    /// <summary>Hands a connection over (to <see cref="Import"/> elsewhere): it leaves this table with its
    /// expectations, keeping its state.</summary>
    public bool Export(Connection c)
    {
        if (!c.Has(ConnStatus.Confirmed) || c.Has(ConnStatus.Dying) || !_table.Remove(c.Key)) return false;
        Counters.ZoneDelta(c.Zone, -1);
        if (c.InUnassuredList) UnlinkUnassured(c);
        _expect.RemoveAllOf(c);
        c.HeapDeadlineUs = long.MaxValue;
        return true;
    }

    /// <summary>Sets the timer; the heap gets an entry only when the deadline moves earlier than the one it
    /// holds (later deadlines are found when the old entry comes due), so refreshing costs O(1).</summary>
    private void SetExpiry(Connection c, long expiresUs)
    {
        c.ExpiresUs = expiresUs;
        if (expiresUs < c.HeapDeadlineUs && c.Has(ConnStatus.Confirmed) && !c.Has(ConnStatus.Dying))
        {
            c.HeapDeadlineUs = expiresUs;
            _timers.Enqueue(c, expiresUs);
        }
    }

    /// <summary>Runs every timer that is due: connections, expectations, reassembly queues. Returns the number of
    /// connections expired. Cost is proportional to the entries due, not to the table size.</summary>
    public int ExpireNow() => ExpireDue(_clock.NowUs);

    private int ExpireDue(long now)
    {
        int n = 0;
        while (_timers.TryPeek(out var c, out long at) && at <= now)
        {
            _timers.Dequeue();
            // Stale entry: the connection left (removed, exported) or has an earlier entry of its own.
            if (c.Has(ConnStatus.Dying) || at != c.HeapDeadlineUs || !Owns(c)) continue;
            if (c.ExpiresUs <= now)
            {
                c.HeapDeadlineUs = long.MaxValue;
                Remove(c);
                Counters.Expired++;
                n++;
            }
            else
            {
                c.HeapDeadlineUs = c.ExpiresUs;
                _timers.Enqueue(c, c.ExpiresUs);
            }
        }
        if (_expect.Count != 0) _expect.Expire(now);
        _reasm.Expire(now);
        // Flushes leave dead heap entries behind; rebuild when they dominate.
        if (_timers.Count > 1024 && _timers.Count > 2 * _table.Count) RebuildTimers();
        return n;
    }

    private void RebuildTimers()
    {
        _timers.Clear();
        foreach (var c in _table.Values)
        {
            c.HeapDeadlineUs = c.ExpiresUs;
            _timers.Enqueue(c, c.ExpiresUs);
        }
    }

    /// <summary>Checks the zone limit (OVS ovs_ct_check_limit: no eviction) and the global limit (early_drop of the
    /// oldest unassured entry). Returns the drop reason when the commit must fail.</summary>
    private string? MakeRoom(ushort zone)
    {
        uint limit = _zoneLimits.TryGetValue(zone, out uint l) ? l : _defaultZoneLimit;
        if (limit != 0 && Counters.ZoneCount(zone) + 1 > limit)
        {
            Counters.Refused++;
            return CtDropReasons.ZoneLimit;
        }
        if (_table.Count < Settings.MaxConnections) return null;
        var victim = _unassuredHead;
        if (victim == null)
        {
            Counters.Refused++;
            return CtDropReasons.TableFull;
        }
        Remove(victim);
        Counters.Evictions++;
        return null;
    }

    private void LinkUnassured(Connection c)
    {
        if (c.Has(ConnStatus.Assured)) return;
        c.UnassuredPrev = _unassuredTail;
        c.UnassuredNext = null;
        if (_unassuredTail != null) _unassuredTail.UnassuredNext = c; else _unassuredHead = c;
        _unassuredTail = c;
        c.InUnassuredList = true;
    }

    private void UnlinkUnassured(Connection c)
    {
        if (c.UnassuredPrev != null) c.UnassuredPrev.UnassuredNext = c.UnassuredNext; else _unassuredHead = c.UnassuredNext;
        if (c.UnassuredNext != null) c.UnassuredNext.UnassuredPrev = c.UnassuredPrev; else _unassuredTail = c.UnassuredPrev;
        c.UnassuredPrev = c.UnassuredNext = null;
        c.InUnassuredList = false;
    }

    /// <summary>Called by the helpers: nf_ct_expect_related with the helper policy's limits and timeout.</summary>
    internal bool AddExpectation(Connection master, in ExpectKey key, CtAlg helper)
    {
        int perMaster = helper == CtAlg.Tftp ? Settings.TftpMaxExpected : Settings.FtpMaxExpected;
        return _expect.Add(key, master, helper, perMaster, Settings.MaxExpectations, _clock.NowUs,
            Settings.ExpectationTimeout.Ticks / 10);
    }

    /// <summary>Live expectations in dpctl/dump-conntrack-exp form, sorted.</summary>
    public IReadOnlyList<string> DumpExpectations(ushort? zone = null)
    {
        var lines = new List<string>();
        long now = _clock.NowUs;
        foreach (var e in _expect.All)
            if ((zone == null || e.Key.Zone == zone) && e.ExpiresUs > now) lines.Add(e.Format());
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Committed connections in ovs-appctl dpctl/dump-conntrack form, sorted ordinally.</summary>
    public IReadOnlyList<string> DumpConntrack(ushort? zone = null)
    {
        var lines = new List<string>(_table.Count);
        long now = _clock.NowUs;
        foreach (var c in _table.Values)
            if ((zone == null || c.Zone == zone) && c.ExpiresUs > now) lines.Add(ConnDump.Format(c));
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>dpctl/flush-conntrack [zone=N] [tuple]: deletes matching connections (and their expectations);
    /// returns how many.</summary>
    public int Flush(ushort? zone = null, CtFlushFilter? filter = null)
    {
        var victims = new List<Connection>();
        foreach (var c in _table.Values)
            if ((zone == null || c.Zone == zone) && (filter == null || filter.Matches(c))) victims.Add(c);
        foreach (var c in victims) Remove(c);
        return victims.Count;
    }

    /// <summary>dpctl/ct-set-limits zone=N,limit=L (0 = unlimited).</summary>
    public void SetZoneLimit(ushort zone, uint limit) => _zoneLimits[zone] = limit;
    /// <summary>dpctl/ct-del-limits zone=N: the zone falls back to the default limit.</summary>
    public void DeleteZoneLimit(ushort zone) => _zoneLimits.Remove(zone);
    /// <summary>dpctl/ct-set-limits default=L.</summary>
    public void SetDefaultZoneLimit(uint limit) => _defaultZoneLimit = limit;

    /// <summary>dpctl/ct-get-limits output: "default limit=L", then "zone=N,limit=L,count=C" per configured zone.</summary>
    public IReadOnlyList<string> GetLimits()
    {
        var lines = new List<string> { $"default limit={_defaultZoneLimit}" };
        var zones = new List<ushort>(_zoneLimits.Keys);
        zones.Sort();
        foreach (var z in zones) lines.Add($"zone={z},limit={_zoneLimits[z]},count={Counters.ZoneCount(z)}");
        return lines;
    }
}
