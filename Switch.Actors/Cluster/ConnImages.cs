using Switch.Core.Conntrack;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>Between an engine's <see cref="Connection"/> and its whole-state image (record + TCP tracker words).</summary>
public static class ConnImages
{
    public static ConnImage From(Connection c) => new(ConnRecords.From(c), Pack(in c.Tcp));

    /// <summary>The connection the image describes, windows and all (unlike a journal record, nothing is re-learned).</summary>
    public static Connection ToConnection(ConnImage image, TimeoutTable timeouts)
    {
        var c = ConnRecords.ToConnection(image.Conn, timeouts);
        if (image.Tcp.Length == TcpWords) c.Tcp = Unpack(image.Tcp);
        return c;
    }

    /// <summary>Puts the image's connection into <paramref name="engine"/> (see <see cref="ConntrackEngine.Adopt"/>).</summary>
    internal static Connection? Adopt(this ConntrackEngine engine, ConnImage image) =>
        engine.Adopt(ToConnection(image, engine.TimeoutsFor(image.Conn.Zone)));

    /// <summary>The dump-conntrack line of an image, formatted by <paramref name="engine"/>'s clock and timeouts.</summary>
    internal static string? FormatImage(this ConntrackEngine engine, ConnImage image) =>
        engine.Format(ToConnection(image, engine.TimeoutsFor(image.Conn.Zone)));

    private const int TcpWords = 9, RecordWords = 10;

    /// <summary>The whole state in one array (record fields packed, then the TCP words): a passivated entity's memory.</summary>
    public static ulong[] Packed(Connection c) =>
        Packed(ConnRecords.From(c), c.Key.Proto == Switch.Core.Packets.IpProtos.Tcp ? Pack(in c.Tcp) : null);

    /// <summary>An image (a holder's report) packed the same way.</summary>
    public static ulong[] Packed(ConnImage image) =>
        Packed(image.Conn, image.Conn.Proto == Switch.Core.Packets.IpProtos.Tcp && image.Tcp.Length == TcpWords ? image.Tcp : null);

    private static ulong[] Packed(ConnRecord r, ulong[]? tcp)
    {
        // Only TCP has tracker state: other protocols keep the record words alone.
        var w = new ulong[RecordWords + (tcp is null ? 0 : TcpWords)];
        w[0] = r.Zone | (ulong)r.Proto << 16 | (ulong)r.PortA << 24 | (ulong)r.PortB << 40 | (r.IsV6 ? 1UL << 56 : 0) | (r.OrigIsA ? 1UL << 57 : 0);
        w[1] = r.Status | (ulong)r.Helper << 8 | (ulong)r.TcpState << 16 | (ulong)r.Mark << 32;
        w[2] = r.AHi; w[3] = r.ALo; w[4] = r.BHi; w[5] = r.BLo; w[6] = r.LabelHi; w[7] = r.LabelLo;
        w[8] = (ulong)r.CreatedUs; w[9] = (ulong)r.ExpiresUs;
        tcp?.CopyTo(w, RecordWords);
        return w;
    }

    public static ConnImage Unpacked(ulong[] w) => new(new ConnRecord((ushort)w[0], (byte)(w[0] >> 16), (w[0] >> 56 & 1) != 0,
        w[2], w[3], w[4], w[5], (ushort)(w[0] >> 24), (ushort)(w[0] >> 40), (w[0] >> 57 & 1) != 0, (byte)w[1], (byte)(w[1] >> 8),
        (byte)(w[1] >> 16), (uint)(w[1] >> 32), w[6], w[7], (long)w[8], (long)w[9]), w[RecordWords..]);

    public static long PackedExpiresUs(ulong[] w) => (long)w[9];

    private static ulong[] Pack(in TcpTrack t)
    {
        var w = new ulong[TcpWords];
        PackPeer(in t.Orig, w, 0);
        PackPeer(in t.Reply, w, 3);
        w[6] = ((ulong)t.LastSeq << 32) | t.LastAck;
        w[7] = ((ulong)t.LastEnd << 32) | ((ulong)t.LastWin << 16) | ((ulong)t.LastDir << 8) | t.Retrans;
        w[8] = (ulong)t.LastIndex | ((ulong)t.LastWscale << 8) | ((ulong)t.LastFlags << 16) | ((ulong)t.State << 24);
        return w;
    }

    private static TcpTrack Unpack(ulong[] w)
    {
        var t = new TcpTrack();
        UnpackPeer(ref t.Orig, w, 0);
        UnpackPeer(ref t.Reply, w, 3);
        t.LastSeq = (uint)(w[6] >> 32); t.LastAck = (uint)w[6];
        t.LastEnd = (uint)(w[7] >> 32); t.LastWin = (ushort)(w[7] >> 16); t.LastDir = (byte)(w[7] >> 8); t.Retrans = (byte)w[7];
        t.LastIndex = (TcpIndex)(byte)w[8]; t.LastWscale = (byte)(w[8] >> 8); t.LastFlags = (TcpPeerFlags)(byte)(w[8] >> 16);
        t.State = (TcpState)(byte)(w[8] >> 24);
        return t;
    }

    private static void PackPeer(in TcpPeer p, ulong[] w, int i)
    {
        w[i] = ((ulong)p.End << 32) | p.MaxEnd;
        w[i + 1] = ((ulong)p.MaxWin << 32) | p.MaxAck;
        w[i + 2] = p.Scale | ((ulong)p.Flags << 8);
    }

    private static void UnpackPeer(ref TcpPeer p, ulong[] w, int i)
    {
        p.End = (uint)(w[i] >> 32); p.MaxEnd = (uint)w[i];
        p.MaxWin = (uint)(w[i + 1] >> 32); p.MaxAck = (uint)w[i + 1];
        p.Scale = (byte)w[i + 2]; p.Flags = (TcpPeerFlags)(byte)(w[i + 2] >> 8);
    }
}
