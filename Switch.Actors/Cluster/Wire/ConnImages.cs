using Switch.Contracts.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Actors.Cluster;

/// <summary>The one place between an engine's <see cref="Connection"/> and its <see cref="ConnImage"/> (wire,
/// journal, parking).</summary>
public static class ConnImages
{
    /// <summary>The connection's whole state; the tracker words only for TCP (other protocols have none).</summary>
    public static ConnImage From(Connection c)
    {
        var k = c.Key;
        return ConnImage.Of(k.Zone, k.Proto, k.IsV6, k.AddrA, k.AddrB, k.PortA, k.PortB, c.OrigIsA, (byte)c.Status, (byte)c.Helper,
            (byte)c.Tcp.State, c.Mark, c.Label, c.CreatedUs, c.ExpiresUs, k.Proto == IpProtos.Tcp ? Pack(in c.Tcp) : null);
    }

    /// <summary>The connection the image describes. With tracker words the windows come back as they were; without
    /// (a journaled image) both sides are marked be-liberal with no history, and the next segment each way re-learns
    /// them (Linux's mid-stream pickup).</summary>
    public static Connection ToConnection(ConnImage image, TimeoutTable timeouts)
    {
        var key = new ConnKey(image.Zone, image.Proto, image.IsV6, image.AddrA, image.AddrB, image.PortA, image.PortB);
        var c = new Connection(in key, image.OrigIsA, timeouts, image.CreatedUs)
        {
            Status = (ConnStatus)image.Status & ~ConnStatus.Dying,
            Helper = (CtAlg)image.Helper,
            Mark = image.Mark,
            Label = image.Label,
            ExpiresUs = image.ExpiresUs,
        };
        var tracker = image.Tracker();
        if (tracker.Length == ConnImage.TrackerWords) c.Tcp = Unpack(tracker);
        else
        {
            c.Tcp.State = (TcpState)image.TcpState;
            c.Tcp.Orig.Flags = c.Tcp.Reply.Flags = TcpPeerFlags.SackPerm | TcpPeerFlags.BeLiberal;
            c.Tcp.LastIndex = TcpIndex.None;
        }
        return c;
    }

    /// <summary>True when the entity, knowing <paramref name="known"/>, has heard all of <paramref name="c"/>'s class
    /// (see <see cref="ConnImage.SameClass"/>), read without building an image (a lease holder asks it per packet).</summary>
    public static bool SameClass(Connection c, ConnImage known) =>
        (byte)c.Status == known.Status && (byte)c.Tcp.State == known.TcpState && (byte)c.Helper == known.Helper
        && c.Mark == known.Mark && c.Label == known.Label && c.OrigIsA == known.OrigIsA;

    /// <summary>Puts back a journaled connection (see <see cref="ConntrackEngine.Restore"/>).</summary>
    internal static Connection? Restore(this ConntrackEngine engine, ConnImage image) =>
        engine.Restore(ToConnection(image.Durable(), engine.TimeoutsFor(image.Zone)));

    /// <summary>Puts the image's connection into <paramref name="engine"/> (see <see cref="ConntrackEngine.Adopt"/>).</summary>
    internal static Connection? Adopt(this ConntrackEngine engine, ConnImage image) =>
        engine.Adopt(ToConnection(image, engine.TimeoutsFor(image.Zone)));

    /// <summary>The dump-conntrack line of an image, formatted by <paramref name="engine"/>'s clock and timeouts.</summary>
    internal static string? FormatImage(this ConntrackEngine engine, ConnImage image) =>
        engine.Format(ToConnection(image, engine.TimeoutsFor(image.Zone)));

    private static ulong[] Pack(in TcpTrack t)
    {
        var w = new ulong[ConnImage.TrackerWords];
        PackPeer(in t.Orig, w, 0);
        PackPeer(in t.Reply, w, 3);
        w[6] = ((ulong)t.LastSeq << 32) | t.LastAck;
        w[7] = ((ulong)t.LastEnd << 32) | ((ulong)t.LastWin << 16) | ((ulong)t.LastDir << 8) | t.Retrans;
        w[8] = (ulong)t.LastIndex | ((ulong)t.LastWscale << 8) | ((ulong)t.LastFlags << 16) | ((ulong)t.State << 24);
        return w;
    }

    private static TcpTrack Unpack(ReadOnlySpan<ulong> w)
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

    private static void UnpackPeer(ref TcpPeer p, ReadOnlySpan<ulong> w, int i)
    {
        p.End = (uint)(w[i] >> 32); p.MaxEnd = (uint)w[i];
        p.MaxWin = (uint)(w[i + 1] >> 32); p.MaxAck = (uint)w[i + 1];
        p.Scale = (byte)w[i + 2]; p.Flags = (TcpPeerFlags)(byte)(w[i + 2] >> 8);
    }
}
