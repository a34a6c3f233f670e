namespace Switch.Core.Conntrack;

/// <summary>
/// Outstanding expectations (nf_conntrack_expect.c): one per key, at most max_expected per master (a newer one
/// evicts the master's oldest), a global cap, a fixed lifetime, and removal with the master.
/// </summary>
internal sealed class ExpectationTable
{
    private readonly Dictionary<ExpectKey, Expectation> _byKey = new();
    private readonly PriorityQueue<Expectation, long> _expiry = new();
    private readonly ConntrackCounters _counters;

    public ExpectationTable(ConntrackCounters counters) => _counters = counters;

    public int Count => _byKey.Count;

    public IEnumerable<Expectation> All => _byKey.Values;

    public bool TryGet(in ExpectKey key, long nowUs, out Expectation? e)
    {
        if (_byKey.Count != 0 && _byKey.TryGetValue(key, out e))
        {
            if (e.ExpiresUs > nowUs && !e.Master.Has(ConnStatus.Dying)) return true;
            Remove(e);
        }
        e = null;
        return false;
    }

    /// <summary>nf_ct_expect_related: false when the global table is full (the helper then drops the packet).</summary>
    public bool Add(in ExpectKey key, Connection master, CtAlg helper, int maxPerMaster, int maxGlobal, long nowUs, long timeoutUs)
    {
        // An identical expectation is replaced (expect_matches), refreshing its timer.
        if (_byKey.TryGetValue(key, out var old)) Remove(old);
        var extras = master.Extras ??= new ConnExtras();
        var list = extras.Expectations ??= new List<Expectation>(1);
        while (list.Count >= maxPerMaster && list.Count > 0) Remove(list[0]);
        if (_byKey.Count >= maxGlobal) return false;
        var e = new Expectation(key, master, helper, nowUs, nowUs + timeoutUs);
        _byKey.Add(key, e);
        list.Add(e);
        _expiry.Enqueue(e, e.ExpiresUs);
        _counters.ExpectationsCreated++;
        _counters.Expectations = _byKey.Count;
        return true;
    }

    public void Remove(Expectation e)
    {
        if (e.Removed) return;
        e.Removed = true;
        _byKey.Remove(e.Key);
        e.Master.Extras?.Expectations?.Remove(e);
        _counters.Expectations = _byKey.Count;
    }

    /// <summary>Expectations die with their master.</summary>
    public void RemoveAllOf(Connection master)
    {
        var list = master.Extras?.Expectations;
        if (list == null) return;
        while (list.Count > 0) Remove(list[^1]);
    }

    public int Expire(long nowUs)
    {
        int n = 0;
        while (_expiry.TryPeek(out var e, out long at) && at <= nowUs)
        {
            _expiry.Dequeue();
            if (e.Removed) continue;
            Remove(e);
            n++;
        }
        // Drop stale heap entries when removals by other means left most of the heap dead.
        if (_expiry.Count > 64 && _expiry.Count > 4 * _byKey.Count)
        {
            _expiry.Clear();
            foreach (var e in _byKey.Values) _expiry.Enqueue(e, e.ExpiresUs);
        }
        return n;
    }
}
