using Switch.Core.Datapath;
using Switch.Core.Packets;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Node.Tracing;

/// <summary>Builds the frame a trace describes: fields the description gives, sensible defaults for the rest.</summary>
public static class TraceFrame
{
    public static byte[] Build(Match m)
    {
        var v = m.Value;
        ulong src = m.Has(Fields.DlSrc) ? v.DlSrc : MacA, dst = m.Has(Fields.DlDst) ? v.DlDst : MacB;
        ushort[] vlans = (v.VlanTci & 0x1000) != 0 ? new[] { (ushort)(v.VlanTci & 0xefff) } : Array.Empty<ushort>();
        ushort type = m.Has(Fields.DlType) ? v.DlType : EtherTypes.Ipv4;
        byte ttl = m.Has(Fields.NwTtl) ? v.NwTtl : (byte)64;
        byte tos = (byte)(v.NwTos | v.NwEcn);
        byte proto = m.Has(Fields.NwProto) ? v.NwProto : (byte)0;
        if (type == EtherTypes.Arp)
            return Eth(dst, src, type, Arp(m.Has(Fields.ArpOp) ? v.NwProto : (ushort)1, v.ArpSha, v.NwSrc, v.ArpTha, v.NwDst), vlans);
        byte[] l4 = proto switch
        {
            IpProtos.Tcp => Tcp(v.TpSrc, v.TpDst, (byte)(m.Has(Fields.TcpFlags) ? v.TcpFlags : Syn), 1, 0),
            IpProtos.Udp => Udp(v.TpSrc, v.TpDst, ReadOnlySpan<byte>.Empty),
            IpProtos.Icmp or IpProtos.Icmpv6 => Icmp((byte)v.TpSrc, (byte)v.TpDst, 0),
            _ => Array.Empty<byte>(),
        };
        if (type == EtherTypes.Ipv4) return Eth(dst, src, type, Ipv4(v.NwSrc, v.NwDst, proto, l4, ttl, tos), vlans);
        if (type == EtherTypes.Ipv6) return Eth(dst, src, type, Ipv6(v.Ipv6Src, v.Ipv6Dst, proto, l4, ttl, tos, v.Ipv6Label), vlans);
        return Eth(dst, src, type, new byte[46], vlans);
    }
}
