using Switch.Core.Conntrack;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>Between an engine's <see cref="Connection"/> and its journal record.</summary>
public static class ConnRecords
{
    public static ConnRecord From(Connection c)
    {
        var k = c.Key;
        return new ConnRecord(k.Zone, k.Proto, k.IsV6, (ulong)(k.AddrA >> 64), (ulong)k.AddrA, (ulong)(k.AddrB >> 64), (ulong)k.AddrB,
            k.PortA, k.PortB, c.OrigIsA, (byte)c.Status, (byte)c.Helper, (byte)c.Tcp.State, c.Mark, (ulong)(c.Label >> 64), (ulong)c.Label,
            c.CreatedUs, c.ExpiresUs);
    }

    /// <summary>A connection rebuilt from its record. TCP windows are unknown, so both sides are marked
    /// be-liberal with no history: the next segment each way re-learns them (Linux's mid-stream pickup).</summary>
    public static Connection ToConnection(ConnRecord r, TimeoutTable timeouts)
    {
        var key = new ConnKey(r.Zone, r.Proto, r.IsV6, new UInt128(r.AHi, r.ALo), new UInt128(r.BHi, r.BLo), r.PortA, r.PortB);
        var c = new Connection(in key, r.OrigIsA, timeouts, r.CreatedUs)
        {
            Status = (ConnStatus)r.Status & ~ConnStatus.Dying,
            Helper = (CtAlg)r.Helper,
            Mark = r.Mark,
            Label = new UInt128(r.LabelHi, r.LabelLo),
            ExpiresUs = r.ExpiresUs,
        };
        c.Tcp.State = (TcpState)r.TcpState;
        c.Tcp.Orig.Flags = c.Tcp.Reply.Flags = TcpPeerFlags.SackPerm | TcpPeerFlags.BeLiberal;
        c.Tcp.LastIndex = TcpIndex.None;
        return c;
    }

    /// <summary>What must be re-journaled when it changes (everything but the timer).</summary>
    /// <summary>Puts back a journaled connection (see <see cref="ConntrackEngine.Restore"/>).</summary>
    internal static Connection? Restore(this ConntrackEngine engine, ConnRecord r) =>
        engine.Restore(ToConnection(r, engine.TimeoutsFor(r.Zone)));

    public static bool SameClass(ConnRecord a, ConnRecord b) =>
        a.Status == b.Status && a.TcpState == b.TcpState && a.Mark == b.Mark && a.LabelHi == b.LabelHi && a.LabelLo == b.LabelLo
        && a.Helper == b.Helper && a.OrigIsA == b.OrigIsA;
}
