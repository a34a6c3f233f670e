using Switch.Core.Packets;

namespace Switch.Core.Datapath;

/// <summary>ovs-ofctl protocol shorthands (ip, tcp6, arp, ...): a dl_type and optionally an nw_proto.</summary>
public static class Shorthands
{
    private static readonly (string Name, ushort DlType, byte? Proto)[] Table =
    {
        ("tcp", EtherTypes.Ipv4, IpProtos.Tcp), ("udp", EtherTypes.Ipv4, IpProtos.Udp), ("sctp", EtherTypes.Ipv4, IpProtos.Sctp),
        ("icmp", EtherTypes.Ipv4, IpProtos.Icmp), ("tcp6", EtherTypes.Ipv6, IpProtos.Tcp), ("udp6", EtherTypes.Ipv6, IpProtos.Udp),
        ("sctp6", EtherTypes.Ipv6, IpProtos.Sctp), ("icmp6", EtherTypes.Ipv6, IpProtos.Icmpv6),
        ("ip", EtherTypes.Ipv4, null), ("ipv6", EtherTypes.Ipv6, null), ("arp", EtherTypes.Arp, null),
        ("rarp", 0x8035, null),
    };

    public static bool TryGet(string name, out ushort dlType, out byte? proto)
    {
        foreach (var t in Table)
            if (t.Name == name) { dlType = t.DlType; proto = t.Proto; return true; }
        dlType = 0; proto = null;
        return false;
    }

    public static string? Name(Match m)
    {
        var dl = m.ExactDlType;
        if (dl is null) return null;
        var proto = m.ExactNwProto;
        foreach (var t in Table)
        {
            if (t.DlType != dl) continue;
            if (t.Proto is null || t.Proto == proto) return t.Name;
        }
        return null;
    }

    public static bool IncludesProto(string name) => TryGet(name, out _, out var p) && p is not null;
}
