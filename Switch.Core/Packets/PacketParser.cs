using System.Buffers.Binary;

namespace Switch.Core.Packets;

/// <summary>
/// Frame -> <see cref="FlowKey"/> extraction, the way OVS flow_extract() fills the flow: Ethernet II with
/// up to two VLAN tags (802.1ad/802.1Q outer, 802.1Q inner), ARP, IPv4 with options and fragments, IPv6
/// with its extension-header chain, TCP/UDP/SCTP ports, ICMP/ICMPv6 type and code. Zero allocation.
/// Unlike OVS (which keeps truncated frames with L4 fields zero), a frame whose headers are cut short is
/// reported with a named <see cref="ParseResult"/> so the datapath drops and counts it.
/// </summary>
public static class PacketParser
{
    public static ParseResult Parse(ReadOnlySpan<byte> f, uint inPort, ref FlowKey k)
    {
        k = default;
        k.InPort = inPort;
        k.L3Ofs = k.L4Ofs = k.L7Ofs = -1;
        if (f.Length < 14) return ParseResult.TruncatedEthernet;
        k.DlDst = ReadMac(f);
        k.DlSrc = ReadMac(f[6..]);
        int ofs = 12;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(f[ofs..]);
        int tags = 0;
        while (type is EtherTypes.Vlan or EtherTypes.QinQ or EtherTypes.QinQOld && tags < 2)
        {
            if (f.Length < ofs + 6) return ParseResult.TruncatedVlan;
            ushort tci = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(f[(ofs + 2)..]) | 0x1000);
            if (tags == 0) k.VlanTci = tci; else k.Vlan2Tci = tci;
            tags++;
            ofs += 4;
            type = BinaryPrimitives.ReadUInt16BigEndian(f[ofs..]);
        }
        ofs += 2;
        if (type < 0x600) { k.DlType = 0x05FF; return ParseResult.Ok; } // 802.3 frame: OVS's FLOW_DL_TYPE_NONE
        k.DlType = type;
        k.L3Ofs = ofs;
        return type switch
        {
            EtherTypes.Ipv4 => ParseIpv4(f, ofs, ref k),
            EtherTypes.Ipv6 => ParseIpv6(f, ofs, ref k),
            EtherTypes.Arp => ParseArp(f, ofs, ref k),
            _ => ParseResult.Ok,
        };
    }

    internal static ulong ReadMac(ReadOnlySpan<byte> s) =>
        ((ulong)BinaryPrimitives.ReadUInt16BigEndian(s) << 32) | BinaryPrimitives.ReadUInt32BigEndian(s[2..]);

    internal static void WriteMac(Span<byte> s, ulong mac)
    {
        BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)(mac >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(s[2..], (uint)mac);
    }

    private static ParseResult ParseArp(ReadOnlySpan<byte> f, int o, ref FlowKey k)
    {
        if (f.Length < o + 28) return ParseResult.TruncatedArp;
        // Only Ethernet/IPv4 ARP carries the fields OVS matches on; others keep just dl_type.
        if (BinaryPrimitives.ReadUInt16BigEndian(f[o..]) != 1 || BinaryPrimitives.ReadUInt16BigEndian(f[(o + 2)..]) != EtherTypes.Ipv4
            || f[o + 4] != 6 || f[o + 5] != 4) return ParseResult.Ok;
        ushort op = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 6)..]);
        if (op <= 0xff) k.NwProto = (byte)op;
        k.ArpSha = ReadMac(f[(o + 8)..]);
        k.NwSrc = BinaryPrimitives.ReadUInt32BigEndian(f[(o + 14)..]);
        k.ArpTha = ReadMac(f[(o + 18)..]);
        k.NwDst = BinaryPrimitives.ReadUInt32BigEndian(f[(o + 24)..]);
        return ParseResult.Ok;
    }

    private static ParseResult ParseIpv4(ReadOnlySpan<byte> f, int o, ref FlowKey k)
    {
        if (f.Length < o + 20) return ParseResult.TruncatedIpv4;
        byte vihl = f[o];
        int ihl = (vihl & 0x0f) * 4;
        if (vihl >> 4 != 4 || ihl < 20) return ParseResult.BadIpv4Header;
        int total = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 2)..]);
        if (total < ihl) return ParseResult.BadIpv4Header;
        if (f.Length < o + total) return ParseResult.TruncatedIpv4;
        k.L3Len = total;
        byte tos = f[o + 1];
        k.NwTos = (byte)(tos & 0xfc);
        k.NwEcn = (byte)(tos & 0x03);
        k.NwTtl = f[o + 8];
        k.NwProto = f[o + 9];
        k.NwSrc = BinaryPrimitives.ReadUInt32BigEndian(f[(o + 12)..]);
        k.NwDst = BinaryPrimitives.ReadUInt32BigEndian(f[(o + 16)..]);
        ushort frag = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 6)..]);
        int fragOfs = frag & 0x1fff;
        bool more = (frag & 0x2000) != 0;
        int l4 = o + ihl;
        k.L4Ofs = l4;
        if (fragOfs != 0) { k.NwFrag = FlowKey.FragAny | FlowKey.FragLater; return ParseResult.Ok; }
        if (more) k.NwFrag = FlowKey.FragAny;
        return ParseL4(f[..(o + total)], l4, k.NwProto, isV6: false, ref k);
    }

    private static ParseResult ParseIpv6(ReadOnlySpan<byte> f, int o, ref FlowKey k)
    {
        if (f.Length < o + 40) return ParseResult.TruncatedIpv6;
        uint vtcfl = BinaryPrimitives.ReadUInt32BigEndian(f[o..]);
        if (vtcfl >> 28 != 6) return ParseResult.TruncatedIpv6;
        int payload = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 4)..]);
        if (f.Length < o + 40 + payload) return ParseResult.TruncatedIpv6;
        k.L3Len = 40 + payload;
        byte tc = (byte)(vtcfl >> 20);
        k.NwTos = (byte)(tc & 0xfc);
        k.NwEcn = (byte)(tc & 0x03);
        k.Ipv6Label = vtcfl & 0xfffff;
        k.NwTtl = f[o + 7];
        k.Ipv6Src = BinaryPrimitives.ReadUInt128BigEndian(f[(o + 8)..]);
        k.Ipv6Dst = BinaryPrimitives.ReadUInt128BigEndian(f[(o + 24)..]);
        var dg = f[..(o + 40 + payload)];
        byte next = f[o + 6];
        int p = o + 40;
        // Walk the extension-header chain (RFC 8200 4.1) to the upper-layer header, however long: each header is
        // at least 8 bytes and checked against the datagram, so the packet bounds the walk. A fixed cap would leave
        // a header (60, destination options) as the "protocol" of a long chain, and its TCP segment unseen.
        while (true)
        {
            if (next is IpProtos.HopByHop or IpProtos.Routing or IpProtos.DestOpts)
            {
                if (dg.Length < p + 8) return ParseResult.BadIpv6ExtensionHeader;
                byte nn = dg[p];
                int len = (dg[p + 1] + 1) * 8;
                if (dg.Length < p + len) return ParseResult.BadIpv6ExtensionHeader;
                next = nn; p += len;
            }
            else if (next == IpProtos.Ah)
            {
                if (dg.Length < p + 8) return ParseResult.BadIpv6ExtensionHeader;
                byte nn = dg[p];
                int len = (dg[p + 1] + 2) * 4;
                if (dg.Length < p + len) return ParseResult.BadIpv6ExtensionHeader;
                next = nn; p += len;
            }
            else if (next == IpProtos.Fragment)
            {
                if (dg.Length < p + 8) return ParseResult.BadIpv6ExtensionHeader;
                byte nn = dg[p];
                ushort fo = BinaryPrimitives.ReadUInt16BigEndian(dg[(p + 2)..]);
                next = nn; p += 8;
                k.NwProto = next;
                k.L4Ofs = p;
                if ((fo & 0xfff8) != 0) { k.NwFrag = FlowKey.FragAny | FlowKey.FragLater; return ParseResult.Ok; }
                k.NwFrag = FlowKey.FragAny;
            }
            else break;
        }
        k.NwProto = next;
        k.L4Ofs = p;
        return ParseL4(dg, p, next, isV6: true, ref k);
    }

    private static ParseResult ParseL4(ReadOnlySpan<byte> dg, int p, byte proto, bool isV6, ref FlowKey k)
    {
        int avail = dg.Length - p;
        switch (proto)
        {
            case IpProtos.Tcp:
                if (avail < 20) return k.NwFrag != 0 ? ParseResult.Ok : ParseResult.TruncatedTcp;
                int doff = (dg[p + 12] >> 4) * 4;
                if (doff < 20 || doff > avail) return k.NwFrag != 0 ? ParseResult.Ok : ParseResult.BadTcpHeader;
                k.TpSrc = BinaryPrimitives.ReadUInt16BigEndian(dg[p..]);
                k.TpDst = BinaryPrimitives.ReadUInt16BigEndian(dg[(p + 2)..]);
                k.TcpFlags = (ushort)(((dg[p + 12] & 0x0f) << 8) | dg[p + 13]);
                k.L7Ofs = p + doff;
                return ParseResult.Ok;
            case IpProtos.Udp:
                if (avail < 8) return k.NwFrag != 0 ? ParseResult.Ok : ParseResult.TruncatedUdp;
                k.TpSrc = BinaryPrimitives.ReadUInt16BigEndian(dg[p..]);
                k.TpDst = BinaryPrimitives.ReadUInt16BigEndian(dg[(p + 2)..]);
                k.L7Ofs = p + 8;
                return ParseResult.Ok;
            case IpProtos.Sctp:
                // OVS parse_sctp() needs the whole 12-byte common header and otherwise leaves the ports zero;
                // accepting 8 bytes put L7Ofs past the end of the datagram.
                if (avail < 12) return ParseResult.Ok;
                k.TpSrc = BinaryPrimitives.ReadUInt16BigEndian(dg[p..]);
                k.TpDst = BinaryPrimitives.ReadUInt16BigEndian(dg[(p + 2)..]);
                k.L7Ofs = p + 12;
                return ParseResult.Ok;
            case IpProtos.Icmp when !isV6:
            case IpProtos.Icmpv6 when isV6:
                if (avail < 4) return k.NwFrag != 0 ? ParseResult.Ok : ParseResult.TruncatedIcmp;
                k.TpSrc = dg[p];
                k.TpDst = dg[p + 1];
                k.L7Ofs = p + Math.Min(8, avail);
                return ParseResult.Ok;
            default:
                return ParseResult.Ok;
        }
    }
}
