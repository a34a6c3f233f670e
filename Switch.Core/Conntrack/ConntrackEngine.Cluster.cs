namespace Switch.Core.Conntrack;

/// <summary>
/// What the cluster needs of an engine that holds one connection: its outstanding expectations (to copy to
/// expectation entities), and installing an expectation whose master lives in another entity. The master is
/// then a detached copy carrying what the expected connection inherits (tuple, mark, label).
/// </summary>
public sealed partial class ConntrackEngine
{
    /// <summary>Expectations whose master is a connection of this engine.</summary>
    internal IEnumerable<Expectation> OwnExpectations()
    {
        foreach (var e in _expect.All)
            if (_table.TryGetValue(e.Master.Key, out var m) && ReferenceEquals(m, e.Master)) yield return e;
    }

    /// <summary>Installs an expectation created by a master in another entity, so the next packet of the expected
    /// connection here is +rel and, when committed, inherits the master's mark and label.</summary>
    internal void ImportExpectation(in ExpectKey key, CtAlg helper, in ConnKey masterKey, bool masterOrigIsA,
        uint mark, UInt128 label, long expiresUs)
    {
        long now = _clock.NowUs;
        if (expiresUs <= now) return;
        var master = new Connection(in masterKey, masterOrigIsA, TimeoutsFor(masterKey.Zone), now)
        {
            Mark = mark, Label = label, Helper = helper, Status = ConnStatus.Confirmed,
        };
        _expect.Add(key, master, helper, int.MaxValue, Settings.MaxExpectations, now, expiresUs - now);
    }

    /// <summary>Removes an expectation (used or withdrawn elsewhere in the cluster).</summary>
    internal bool RemoveExpectation(in ExpectKey key)
    {
        if (!_expect.TryGet(key, _clock.NowUs, out var e)) return false;
        _expect.Remove(e!);
        return true;
    }

    /// <summary>True while an expectation with this key is outstanding here.</summary>
    internal bool HasExpectation(in ExpectKey key) => _expect.TryGet(key, _clock.NowUs, out _);

    /// <summary>The one connection a cluster entity's engine holds, if any.</summary>
    internal Connection? Single()
    {
        foreach (var c in _table.Values) return c;
        return null;
    }

    /// <summary>Puts back a connection recovered from the journal (null when its deadline has passed). The cluster
    /// converts its records (Switch.Actors.Cluster.ConnRecords) with <see cref="TimeoutsFor"/>.</summary>
    internal Connection? Restore(Connection c)
    {
        if (c.ExpiresUs <= _clock.NowUs) return null;
        return Import(c) ? c : null;
    }

    /// <summary>Re-creates an expectation a recovered master had outstanding.</summary>
    internal void RestoreExpectation(Connection master, in ExpectKey key, CtAlg helper, long expiresUs)
    {
        long now = _clock.NowUs;
        if (expiresUs <= now) return;
        _expect.Add(key, master, helper, int.MaxValue, Settings.MaxExpectations, now, expiresUs - now);
    }

    /// <summary>The dump-conntrack line of a connection (null when its deadline has passed), without taking it in.</summary>
    internal string? Format(Connection c) => c.ExpiresUs > _clock.NowUs ? ConnDump.Format(c) : null;

    /// <summary>Puts in a connection whose whole state came from elsewhere (a lease image), replacing any entry with
    /// its key; null when its deadline has passed (the old entry is gone either way).</summary>
    internal Connection? Adopt(Connection c)
    {
        if (_table.TryGetValue(c.Key, out var old)) Remove(old);
        if (c.ExpiresUs <= _clock.NowUs) return null;
        return Import(c) ? c : null;
    }
}
