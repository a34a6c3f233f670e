using System.Buffers.Binary;

namespace Switch.Core.Packets;

/// <summary>
/// Writes header fields into a frame and keeps its checksums right: the IPv4 header checksum and the
/// TCP/UDP/ICMPv6 checksums (pseudo-header included) are adjusted incrementally (RFC 1624), which also
/// works for a first fragment whose payload is not all here. An IPv4 UDP checksum of zero (none) stays zero.
/// Offsets in the key move with pushed or popped VLAN tags.
/// </summary>
public static class PacketRewriter
{
    /// <summary>Replaces the 16-bit word at <paramref name="ofs"/> and adjusts the checksums at the given offsets (-1: none).</summary>
    private static void Word(Span<byte> f, int ofs, ushort value, int csumA, int csumB = -1)
    {
        ushort old = BinaryPrimitives.ReadUInt16BigEndian(f[ofs..]);
        if (old == value) return;
        BinaryPrimitives.WriteUInt16BigEndian(f[ofs..], value);
        Adjust(f, csumA, old, value);
        Adjust(f, csumB, old, value);
    }

    private static void Adjust(Span<byte> f, int at, ushort old, ushort now)
    {
        if (at < 0) return;
        ushort hc = BinaryPrimitives.ReadUInt16BigEndian(f[at..]);
        uint sum = (uint)(ushort)~hc + (ushort)~old + now;
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(f[at..], (ushort)~sum);
    }

    /// <summary>Offset of the L4 checksum covering a pseudo-header, or -1 (absent, a later fragment, IPv4 UDP without checksum).</summary>
    private static int PseudoChecksumOfs(Span<byte> f, in FlowKey k)
    {
        if (k.L4Ofs < 0 || k.L7Ofs < 0 || (k.NwFrag & FlowKey.FragLater) != 0) return -1;
        int at = k.NwProto switch { IpProtos.Tcp => k.L4Ofs + 16, IpProtos.Udp => k.L4Ofs + 6, IpProtos.Icmpv6 when k.IsIpv6 => k.L4Ofs + 2, _ => -1 };
        if (at < 0 || at + 2 > f.Length) return -1;
        if (k.NwProto == IpProtos.Udp && k.IsIpv4 && f[at] == 0 && f[at + 1] == 0) return -1;
        return at;
    }

    private static int TransportChecksumOfs(Span<byte> f, in FlowKey k)
    {
        if (k.NwProto == IpProtos.Icmp && k.IsIpv4 && k.L7Ofs >= 0 && (k.NwFrag & FlowKey.FragLater) == 0) return k.L4Ofs + 2;
        return PseudoChecksumOfs(f, k);
    }

    public static void SetDlSrc(Packet p, ref FlowKey k, ulong mac) { PacketParser.WriteMac(p.Span[6..], mac); k.DlSrc = mac; }
    public static void SetDlDst(Packet p, ref FlowKey k, ulong mac) { PacketParser.WriteMac(p.Span, mac); k.DlDst = mac; }

    public static void SetNwAddr(Packet p, ref FlowKey k, bool src, uint addr)
    {
        var f = p.Span;
        if (k.DlType == EtherTypes.Arp)
        {
            if (k.L3Ofs < 0 || f.Length < k.L3Ofs + 28) return;
            BinaryPrimitives.WriteUInt32BigEndian(f[(k.L3Ofs + (src ? 14 : 24))..], addr);
        }
        else if (k.IsIpv4)
        {
            int at = k.L3Ofs + (src ? 12 : 16);
            int l4 = PseudoChecksumOfs(f, k);
            Word(f, at, (ushort)(addr >> 16), k.L3Ofs + 10, l4);
            Word(f, at + 2, (ushort)addr, k.L3Ofs + 10, l4);
        }
        else return;
        if (src) k.NwSrc = addr; else k.NwDst = addr;
    }

    public static void SetIpv6Addr(Packet p, ref FlowKey k, bool src, UInt128 addr)
    {
        if (!k.IsIpv6) return;
        var f = p.Span;
        int at = k.L3Ofs + (src ? 8 : 24);
        int l4 = PseudoChecksumOfs(f, k);
        for (int i = 0; i < 8; i++) Word(f, at + 2 * i, (ushort)(addr >> (112 - 16 * i)), l4);
        if (src) k.Ipv6Src = addr; else k.Ipv6Dst = addr;
    }

    /// <summary>Sets the TOS/traffic-class byte from DSCP (nw_tos) and ECN bits.</summary>
    public static void SetTos(Packet p, ref FlowKey k, byte dscp, byte ecn)
    {
        var f = p.Span;
        byte tos = (byte)((dscp & 0xfc) | (ecn & 3));
        if (k.IsIpv4)
            Word(f, k.L3Ofs, (ushort)((f[k.L3Ofs] << 8) | tos), k.L3Ofs + 10);
        else if (k.IsIpv6)
        {
            uint w = BinaryPrimitives.ReadUInt32BigEndian(f[k.L3Ofs..]);
            BinaryPrimitives.WriteUInt32BigEndian(f[k.L3Ofs..], (w & 0xf00fffff) | ((uint)tos << 20));
        }
        else return;
        k.NwTos = (byte)(dscp & 0xfc); k.NwEcn = (byte)(ecn & 3);
    }

    public static void SetTtl(Packet p, ref FlowKey k, byte ttl)
    {
        var f = p.Span;
        if (k.IsIpv4) Word(f, k.L3Ofs + 8, (ushort)((ttl << 8) | f[k.L3Ofs + 9]), k.L3Ofs + 10);
        else if (k.IsIpv6) f[k.L3Ofs + 7] = ttl;
        else return;
        k.NwTtl = ttl;
    }

    public static void SetIpv6Label(Packet p, ref FlowKey k, uint label)
    {
        if (!k.IsIpv6) return;
        var f = p.Span;
        uint w = BinaryPrimitives.ReadUInt32BigEndian(f[k.L3Ofs..]);
        BinaryPrimitives.WriteUInt32BigEndian(f[k.L3Ofs..], (w & 0xfff00000) | (label & 0xfffff));
        k.Ipv6Label = label & 0xfffff;
    }

    /// <summary>tp_src/tp_dst (ports) or, for ICMP, the type/code byte.</summary>
    public static void SetTp(Packet p, ref FlowKey k, bool src, ushort v)
    {
        var f = p.Span;
        if (k.L7Ofs < 0 || (k.NwFrag & FlowKey.FragLater) != 0) return;
        if (k.NwProto is IpProtos.Icmp or IpProtos.Icmpv6)
        {
            byte type = src ? (byte)v : (byte)k.TpSrc, code = src ? (byte)k.TpDst : (byte)v;
            Word(f, k.L4Ofs, (ushort)((type << 8) | code), TransportChecksumOfs(f, k));
        }
        else if (k.NwProto is IpProtos.Tcp or IpProtos.Udp or IpProtos.Sctp)
            Word(f, k.L4Ofs + (src ? 0 : 2), v, k.NwProto == IpProtos.Sctp ? -1 : PseudoChecksumOfs(f, k));
        else return;
        if (src) k.TpSrc = v; else k.TpDst = v;
    }

    public static void SetArpOp(Packet p, ref FlowKey k, byte op)
    {
        if (k.DlType != EtherTypes.Arp || p.Length < k.L3Ofs + 28) return;
        BinaryPrimitives.WriteUInt16BigEndian(p.Span[(k.L3Ofs + 6)..], op);
        k.NwProto = op;
    }

    public static void SetArpHa(Packet p, ref FlowKey k, bool sender, ulong mac)
    {
        if (k.DlType != EtherTypes.Arp || p.Length < k.L3Ofs + 28) return;
        PacketParser.WriteMac(p.Span[(k.L3Ofs + (sender ? 8 : 18))..], mac);
        if (sender) k.ArpSha = mac; else k.ArpTha = mac;
    }

    /// <summary>Sets the outer TCI as OVS vlan_tci: CFI (0x1000) set means "tagged". Tags are pushed/popped as needed.</summary>
    public static void SetVlanTci(Packet p, ref FlowKey k, ushort tci)
    {
        bool tagged = (k.VlanTci & 0x1000) != 0, want = (tci & 0x1000) != 0;
        if (!want) { if (tagged) StripVlan(p, ref k); return; }
        if (!tagged) PushVlan(p, ref k, EtherTypes.Vlan);
        BinaryPrimitives.WriteUInt16BigEndian(p.Span[14..], (ushort)(tci & ~0x1000));
        k.VlanTci = tci;
    }

    public static void StripVlan(Packet p, ref FlowKey k)
    {
        if ((k.VlanTci & 0x1000) == 0) return;
        p.RemoveGap(12, 4);
        k.VlanTci = k.Vlan2Tci; k.Vlan2Tci = 0;
        Shift(ref k, -4);
    }

    /// <summary>Pushes a new outer tag; its TCI starts as the old outer tag's (or 0), as OpenFlow push_vlan.</summary>
    public static void PushVlan(Packet p, ref FlowKey k, ushort tpid)
    {
        ushort tci = (ushort)(k.VlanTci & ~0x1000);
        p.InsertGap(12, 4);
        var f = p.Span;
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], tpid);
        BinaryPrimitives.WriteUInt16BigEndian(f[14..], tci);
        k.Vlan2Tci = k.VlanTci;
        k.VlanTci = (ushort)(tci | 0x1000);
        Shift(ref k, 4);
    }

    private static void Shift(ref FlowKey k, int by)
    {
        if (k.L3Ofs >= 0) k.L3Ofs += by;
        if (k.L4Ofs >= 0) k.L4Ofs += by;
        if (k.L7Ofs >= 0) k.L7Ofs += by;
    }
}
