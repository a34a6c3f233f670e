using Switch.Actors.Conntrack;
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

    private const int TcpWords = 9;

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
