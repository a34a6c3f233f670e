using Switch.Core.Packets;

namespace Switch.Core.Datapath;

/// <summary>A flow's match: field values and a bit mask over <see cref="FlowKey"/>'s words (1 = must equal).</summary>
public sealed class Match
{
    public FlowKey Value;
    public FlowKey Mask;

    public bool IsExact(FieldDef f) => f.Get(Mask) == f.AllOnes;
    public bool Has(FieldDef f) => f.Get(Mask) != 0;

    public bool Matches(in FlowKey k)
    {
        for (int i = 0; i < FlowKey.Words; i++)
            if (((k.W[i] ^ Value.W[i]) & Mask.W[i]) != 0) return false;
        return true;
    }

    public bool SameAs(Match o)
    {
        for (int i = 0; i < FlowKey.Words; i++)
            if (Mask.W[i] != o.Mask.W[i] || ((Value.W[i] ^ o.Value.W[i]) & Mask.W[i]) != 0) return false;
        return true;
    }

    /// <summary>True when every packet this match accepts is accepted by <paramref name="wider"/> (non-strict
    /// del-flows/mod-flows: the given match is a subset test over this flow).</summary>
    public bool IsWithin(Match wider)
    {
        for (int i = 0; i < FlowKey.Words; i++)
        {
            if ((wider.Mask.W[i] & ~Mask.W[i]) != 0) return false;
            if (((Value.W[i] ^ wider.Value.W[i]) & wider.Mask.W[i]) != 0) return false;
        }
        return true;
    }

    public ushort? ExactDlType => IsExact(Fields.DlType) ? Value.DlType : null;
    public byte? ExactNwProto => IsExact(Fields.NwProto) ? Value.NwProto : null;

    /// <summary>Whether the flow's protocol fields satisfy <paramref name="p"/> (OpenFlow prerequisites).</summary>
    public bool Satisfies(Prereq p)
    {
        ushort? dl = ExactDlType;
        byte? proto = ExactNwProto;
        bool v4 = dl == EtherTypes.Ipv4, v6 = dl == EtherTypes.Ipv6, ip = v4 || v6;
        return p switch
        {
            Prereq.None => true,
            Prereq.Ip or Prereq.Ipv4 or Prereq.CtIpv4 => v4,
            Prereq.Ipv6 or Prereq.CtIpv6 => v6,
            Prereq.IpAny or Prereq.CtAny => ip,
            Prereq.Arp => dl == EtherTypes.Arp,
            Prereq.IpOrArp => v4 || dl == EtherTypes.Arp,
            Prereq.Tcp => ip && proto == IpProtos.Tcp,
            Prereq.Udp => ip && proto == IpProtos.Udp,
            Prereq.Sctp => ip && proto == IpProtos.Sctp,
            Prereq.TcpUdpSctp => ip && proto is IpProtos.Tcp or IpProtos.Udp or IpProtos.Sctp,
            Prereq.Icmp => v4 && proto == IpProtos.Icmp,
            Prereq.Icmpv6 => v6 && proto == IpProtos.Icmpv6,
            Prereq.Vlan => true,
            _ => false,
        };
    }

    public static string Describe(Prereq p) => p switch
    {
        Prereq.Ip or Prereq.Ipv4 or Prereq.CtIpv4 => "ip (dl_type=0x0800)",
        Prereq.Ipv6 or Prereq.CtIpv6 => "ipv6 (dl_type=0x86dd)",
        Prereq.IpAny or Prereq.CtAny => "ip or ipv6",
        Prereq.Arp => "arp (dl_type=0x0806)",
        Prereq.IpOrArp => "ip or arp",
        Prereq.Tcp => "tcp or tcp6",
        Prereq.Udp => "udp or udp6",
        Prereq.Sctp => "sctp",
        Prereq.TcpUdpSctp => "tcp, udp or sctp (nw_proto=6/17/132)",
        Prereq.Icmp => "icmp (ip,nw_proto=1)",
        Prereq.Icmpv6 => "icmp6 (ipv6,nw_proto=58)",
        _ => p.ToString(),
    };
}
