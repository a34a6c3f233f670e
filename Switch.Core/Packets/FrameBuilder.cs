using System.Buffers.Binary;
using System.Net;

namespace Switch.Core.Packets;

/// <summary>
/// Builds real frames layer by layer with correct checksums: for tests, the bundled sample captures and the
/// load generator. Build the L4 segment, wrap it in IPv4/IPv6 (which fills the L4 checksum), then Ethernet.
/// </summary>
public static class FrameBuilder
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;

    public static uint Ip(string s) => BinaryPrimitives.ReadUInt32BigEndian(IPAddress.Parse(s).GetAddressBytes());
    public static UInt128 Ip6(string s) => BinaryPrimitives.ReadUInt128BigEndian(IPAddress.Parse(s).GetAddressBytes());
    public static ulong Mac(string s) => Convert.ToUInt64(s.Replace(":", ""), 16);

    /// <summary>Ethernet II frame; <paramref name="vlans"/> are TCIs, outermost first (two tags: 802.1ad outer, 802.1Q inner).</summary>
    public static byte[] Eth(ulong dst, ulong src, ushort type, ReadOnlySpan<byte> payload, params ushort[] vlans)
    {
        var f = new byte[14 + 4 * vlans.Length + payload.Length];
        PacketParser.WriteMac(f, dst);
        PacketParser.WriteMac(f.AsSpan(6), src);
        int o = 12;
        for (int i = 0; i < vlans.Length; i++)
        {
            ushort tpid = vlans.Length > 1 && i == 0 ? EtherTypes.QinQ : EtherTypes.Vlan;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(o), tpid);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(o + 2), vlans[i]);
            o += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(o), type);
        payload.CopyTo(f.AsSpan(o + 2));
        return f;
    }

    public static byte[] Arp(ushort op, ulong sha, uint spa, ulong tha, uint tpa)
    {
        var a = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(a, 1);
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(2), EtherTypes.Ipv4);
        a[4] = 6; a[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(a.AsSpan(6), op);
        PacketParser.WriteMac(a.AsSpan(8), sha);
        BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(14), spa);
        PacketParser.WriteMac(a.AsSpan(18), tha);
        BinaryPrimitives.WriteUInt32BigEndian(a.AsSpan(24), tpa);
        return a;
    }

    /// <summary>TCP segment with checksum 0 (the IP wrapper fills it). Options are padded to 4 bytes.</summary>
    public static byte[] Tcp(ushort sport, ushort dport, byte flags, uint seq = 0, uint ack = 0, ushort window = 65535,
        ReadOnlySpan<byte> payload = default, ReadOnlySpan<byte> options = default)
    {
        int optLen = (options.Length + 3) & ~3;
        var t = new byte[20 + optLen + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(t, sport);
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(8), ack);
        t[12] = (byte)(((20 + optLen) / 4) << 4);
        t[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(14), window);
        options.CopyTo(t.AsSpan(20));
        payload.CopyTo(t.AsSpan(20 + optLen));
        return t;
    }

    public static byte[] Udp(ushort sport, ushort dport, ReadOnlySpan<byte> payload)
    {
        var u = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(u, sport);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(u.AsSpan(4), (ushort)u.Length);
        payload.CopyTo(u.AsSpan(8));
        return u;
    }

    /// <summary>ICMP or ICMPv6 message; <paramref name="rest"/> is the 4-byte rest of header (id &lt;&lt; 16 | seq for echo).</summary>
    public static byte[] Icmp(byte type, byte code, uint rest, ReadOnlySpan<byte> payload = default)
    {
        var m = new byte[8 + payload.Length];
        m[0] = type; m[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), rest);
        payload.CopyTo(m.AsSpan(8));
        return m;
    }

    /// <summary>IPv4 datagram with header checksum; the L4 checksum is filled when the datagram is not a fragment.</summary>
    public static byte[] Ipv4(uint src, uint dst, byte proto, ReadOnlySpan<byte> l4, byte ttl = 64, byte tos = 0,
        ushort id = 0, bool df = false, int fragOffset = 0, bool mf = false, ReadOnlySpan<byte> options = default, bool fillL4Checksum = true)
    {
        int hl = 20 + ((options.Length + 3) & ~3);
        var p = new byte[hl + l4.Length];
        p[0] = (byte)(0x40 | (hl / 4));
        p[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)((df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | ((fragOffset / 8) & 0x1fff)));
        p[8] = ttl; p[9] = proto;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(12), src);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(16), dst);
        options.CopyTo(p.AsSpan(20));
        l4.CopyTo(p.AsSpan(hl));
        if (fillL4Checksum && fragOffset == 0 && !mf)
            Checksum.FixL4(p.AsSpan(hl), proto, Checksum.PseudoV4(src, dst, proto, l4.Length), isV6: false);
        Checksum.FixIpv4Header(p);
        return p;
    }

    /// <summary>IPv6 packet. <paramref name="payload"/> follows the fixed header with <paramref name="nextHeader"/>;
    /// when it is a plain upper-layer segment (no extension headers) its checksum is filled.</summary>
    public static byte[] Ipv6(UInt128 src, UInt128 dst, byte nextHeader, ReadOnlySpan<byte> payload, byte hopLimit = 64,
        byte tc = 0, uint flowLabel = 0, bool fillL4Checksum = true)
    {
        var p = new byte[40 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(p, (6u << 28) | ((uint)tc << 20) | (flowLabel & 0xfffff));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)payload.Length);
        p[6] = nextHeader; p[7] = hopLimit;
        BinaryPrimitives.WriteUInt128BigEndian(p.AsSpan(8), src);
        BinaryPrimitives.WriteUInt128BigEndian(p.AsSpan(24), dst);
        payload.CopyTo(p.AsSpan(40));
        if (fillL4Checksum)
            Checksum.FixL4(p.AsSpan(40), nextHeader, Checksum.PseudoV6(src, dst, nextHeader, payload.Length), isV6: true);
        return p;
    }

    /// <summary>An IPv6 extension header (hop-by-hop, routing, destination options) of 8 bytes padded with PadN.</summary>
    public static byte[] Ipv6ExtHeader(byte next, ReadOnlySpan<byte> rest)
    {
        int len = (2 + rest.Length + 7) & ~7;
        var h = new byte[len];
        h[0] = next; h[1] = (byte)(len / 8 - 1);
        rest.CopyTo(h.AsSpan(2));
        if (len - 2 - rest.Length >= 2) { h[2 + rest.Length] = 1; h[3 + rest.Length] = (byte)(len - 4 - rest.Length); }
        return h;
    }

    /// <summary>IPv6 fragment header (RFC 8200 4.5) followed by <paramref name="data"/>.</summary>
    public static byte[] Ipv6Fragment(byte next, int fragOffset, bool more, uint id, ReadOnlySpan<byte> data)
    {
        var h = new byte[8 + data.Length];
        h[0] = next;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)((fragOffset & ~7) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), id);
        data.CopyTo(h.AsSpan(8));
        return h;
    }

    /// <summary>Fills the L4 checksum of an upper-layer segment of an IPv6 packet behind extension headers.</summary>
    public static byte[] WithIpv6L4Checksum(UInt128 src, UInt128 dst, byte proto, byte[] l4)
    {
        Checksum.FixL4(l4, proto, Checksum.PseudoV6(src, dst, proto, l4.Length), isV6: true);
        return l4;
    }

    public static readonly ulong MacA = 0x02_00_00_00_00_0a, MacB = 0x02_00_00_00_00_0b;

    /// <summary>Shorthand: Ethernet + IPv4 + TCP.</summary>
    public static byte[] TcpV4(string src, string dst, ushort sport, ushort dport, byte flags, uint seq = 0, uint ack = 0,
        ReadOnlySpan<byte> payload = default, ulong? dlSrc = null, ulong? dlDst = null, ushort window = 65535) =>
        Eth(dlDst ?? MacB, dlSrc ?? MacA, EtherTypes.Ipv4,
            Ipv4(Ip(src), Ip(dst), IpProtos.Tcp, Tcp(sport, dport, flags, seq, ack, window, payload)));

    /// <summary>Shorthand: Ethernet + IPv4 + UDP.</summary>
    public static byte[] UdpV4(string src, string dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload = default,
        ulong? dlSrc = null, ulong? dlDst = null) =>
        Eth(dlDst ?? MacB, dlSrc ?? MacA, EtherTypes.Ipv4, Ipv4(Ip(src), Ip(dst), IpProtos.Udp, Udp(sport, dport, payload)));

    /// <summary>Shorthand: Ethernet + IPv6 + TCP.</summary>
    public static byte[] TcpV6(string src, string dst, ushort sport, ushort dport, byte flags, uint seq = 0, uint ack = 0,
        ReadOnlySpan<byte> payload = default, ulong? dlSrc = null, ulong? dlDst = null) =>
        Eth(dlDst ?? MacB, dlSrc ?? MacA, EtherTypes.Ipv6,
            Ipv6(Ip6(src), Ip6(dst), IpProtos.Tcp, Tcp(sport, dport, flags, seq, ack, 65535, payload)));
}
