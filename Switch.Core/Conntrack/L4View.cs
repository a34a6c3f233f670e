using System.Buffers.Binary;
using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// What tracking reads from one (unfragmented) IP packet: addresses, protocol, ports or ICMP id/type/code,
/// the L4 segment and its payload. <see cref="Read"/> applies the per-protocol error checks (tcp_error,
/// udp_error, icmp_error header checks); a packet failing them is +trk+inv.
/// </summary>
internal ref struct L4View
{
    public bool IsV6;
    public byte Proto;
    public UInt128 Src, Dst;
    public ushort SrcPort, DstPort;
    public byte IcmpType, IcmpCode;
    public ushort IcmpId;
    public ReadOnlySpan<byte> L4;
    public ReadOnlySpan<byte> Payload;

    public readonly bool IsIcmp => Proto == (IsV6 ? IpProtos.Icmpv6 : IpProtos.Icmp);
    public readonly bool IsIcmpError => IsIcmp && IcmpTypes.IsError(IsV6, IcmpType);

    public const byte Gre = 47;

    public static bool Read(ReadOnlySpan<byte> frame, in FlowKey key, bool verify, out L4View v)
    {
        v = default;
        if (key.L4Ofs < 0 || key.L3Ofs < 0) return false;
        int l3End = key.L3Ofs + key.L3Len;
        if (l3End > frame.Length || key.L4Ofs > l3End) return false;
        v.IsV6 = key.IsIpv6;
        v.Proto = key.NwProto;
        if (v.IsV6) { v.Src = key.Ipv6Src; v.Dst = key.Ipv6Dst; }
        else { v.Src = key.NwSrc; v.Dst = key.NwDst; }
        var l4 = frame[key.L4Ofs..l3End];
        v.L4 = l4;
        switch (v.Proto)
        {
            case IpProtos.Tcp:
            {
                if (l4.Length < 20) return false;
                int doff = (l4[12] >> 4) * 4;
                if (doff < 20 || doff > l4.Length) return false;
                if (!TcpSegment.ValidFlags(l4[13])) return false;
                if (verify && !Checksum.Verify(l4, v.IsV6, v.Src, v.Dst, IpProtos.Tcp, pseudo: true)) return false;
                v.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                v.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                v.Payload = l4[doff..];
                return true;
            }
            case IpProtos.Udp:
            {
                if (l4.Length < 8) return false;
                int ulen = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                if (ulen > l4.Length || ulen < 8) return false;
                l4 = l4[..ulen];
                v.L4 = l4;
                // A zero UDP checksum means "none" and is accepted (udp_error).
                if (verify && (l4[6] | l4[7]) != 0
                    && !Checksum.Verify(l4, v.IsV6, v.Src, v.Dst, IpProtos.Udp, pseudo: true)) return false;
                v.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                v.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                v.Payload = l4[8..];
                return true;
            }
            case IpProtos.Sctp:
                if (l4.Length < 12) return false;
                v.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                v.DstPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                v.Payload = l4[12..];
                return true;
            case IpProtos.Icmp when !v.IsV6:
            case IpProtos.Icmpv6 when v.IsV6:
            {
                if (l4.Length < 8) return false;
                v.IcmpType = l4[0];
                v.IcmpCode = l4[1];
                // Types beyond the last one the kernel knows are invalid (NR_ICMP_TYPES = 18).
                if (!v.IsV6 && v.IcmpType > 18) return false;
                if (verify && !Checksum.Verify(l4, v.IsV6, v.Src, v.Dst, v.Proto, pseudo: v.IsV6)) return false;
                v.IcmpId = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                v.Payload = l4[8..];
                return true;
            }
            default:
                v.Payload = l4;
                return true;
        }
    }
}
