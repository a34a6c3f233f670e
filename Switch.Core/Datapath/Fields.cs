namespace Switch.Core.Datapath;

/// <summary>
/// The field registry: every match/set_field name DistSwitch knows, with OVS's spellings and NXM/OXM aliases.
/// Several names can share one storage slot (nw_src and arp_spa; tp_src and icmp_type): formatting picks the
/// name whose prerequisite fits the flow, as ovs-ofctl does.
/// </summary>
public static class Fields
{
    public static readonly FieldDef InPort = new("in_port", 0, 0, 32, FieldFormat.Port, Prereq.None, 20, writable: true);
    public static readonly FieldDef DlType = new("dl_type", 0, 32, 16, FieldFormat.Hex, Prereq.None, 34, writable: false);
    public static readonly FieldDef VlanTci = new("vlan_tci", 0, 48, 16, FieldFormat.Hex, Prereq.None, 21, packetWrite: true);
    public static readonly FieldDef DlSrc = new("dl_src", 1, 0, 48, FieldFormat.Mac, Prereq.None, 32, packetWrite: true);
    public static readonly FieldDef DlDst = new("dl_dst", 2, 0, 48, FieldFormat.Mac, Prereq.None, 33, packetWrite: true);
    public static readonly FieldDef NwProto = new("nw_proto", 1, 48, 8, FieldFormat.Decimal, Prereq.IpAny, 50, writable: false);
    public static readonly FieldDef ArpOp = new("arp_op", 1, 48, 8, FieldFormat.Decimal, Prereq.Arp, 50, packetWrite: true);
    public static readonly FieldDef NwTtl = new("nw_ttl", 1, 56, 8, FieldFormat.Decimal, Prereq.IpAny, 53, packetWrite: true);
    public static readonly FieldDef NwTos = new("nw_tos", 2, 48, 8, FieldFormat.Decimal, Prereq.IpAny, 51, packetWrite: true);
    public static readonly FieldDef NwEcn = new("nw_ecn", 2, 56, 2, FieldFormat.Decimal, Prereq.IpAny, 52, packetWrite: true);
    public static readonly FieldDef NwFrag = new("nw_frag", 2, 58, 2, FieldFormat.Frag, Prereq.IpAny, 54, writable: false);
    public static readonly FieldDef NwSrc = new("nw_src", 3, 0, 32, FieldFormat.Ipv4, Prereq.Ipv4, 43, packetWrite: true);
    public static readonly FieldDef NwDst = new("nw_dst", 3, 32, 32, FieldFormat.Ipv4, Prereq.Ipv4, 44, packetWrite: true);
    public static readonly FieldDef ArpSpa = new("arp_spa", 3, 0, 32, FieldFormat.Ipv4, Prereq.Arp, 45, packetWrite: true);
    public static readonly FieldDef ArpTpa = new("arp_tpa", 3, 32, 32, FieldFormat.Ipv4, Prereq.Arp, 46, packetWrite: true);
    public static readonly FieldDef TpSrc = new("tp_src", 4, 0, 16, FieldFormat.Decimal, Prereq.TcpUdpSctp, 60, packetWrite: true);
    public static readonly FieldDef TpDst = new("tp_dst", 4, 16, 16, FieldFormat.Decimal, Prereq.TcpUdpSctp, 61, packetWrite: true);
    public static readonly FieldDef IcmpType = new("icmp_type", 4, 0, 16, FieldFormat.Decimal, Prereq.Icmp, 63, packetWrite: true);
    public static readonly FieldDef IcmpCode = new("icmp_code", 4, 16, 16, FieldFormat.Decimal, Prereq.Icmp, 64, packetWrite: true);
    public static readonly FieldDef Icmpv6Type = new("icmpv6_type", 4, 0, 16, FieldFormat.Decimal, Prereq.Icmpv6, 63, packetWrite: true);
    public static readonly FieldDef Icmpv6Code = new("icmpv6_code", 4, 16, 16, FieldFormat.Decimal, Prereq.Icmpv6, 64, packetWrite: true);
    public static readonly FieldDef TcpFlags = new("tcp_flags", 4, 32, 12, FieldFormat.TcpFlags, Prereq.Tcp, 62, writable: false);
    public static readonly FieldDef Ipv6Src = new("ipv6_src", 5, 0, 128, FieldFormat.Ipv6, Prereq.Ipv6, 40, packetWrite: true);
    public static readonly FieldDef Ipv6Dst = new("ipv6_dst", 7, 0, 128, FieldFormat.Ipv6, Prereq.Ipv6, 41, packetWrite: true);
    public static readonly FieldDef Ipv6Label = new("ipv6_label", 9, 0, 20, FieldFormat.Hex, Prereq.Ipv6, 42, packetWrite: true);
    public static readonly FieldDef CtState = new("ct_state", 9, 24, 8, FieldFormat.CtState, Prereq.None, 10, writable: false);
    public static readonly FieldDef CtZone = new("ct_zone", 9, 32, 16, FieldFormat.Decimal, Prereq.None, 11, writable: false);
    public static readonly FieldDef CtNwProto = new("ct_nw_proto", 9, 48, 8, FieldFormat.Decimal, Prereq.CtAny, 18, writable: false);
    public static readonly FieldDef ArpSha = new("arp_sha", 10, 0, 48, FieldFormat.Mac, Prereq.Arp, 47, packetWrite: true);
    public static readonly FieldDef ArpTha = new("arp_tha", 11, 0, 48, FieldFormat.Mac, Prereq.Arp, 48, packetWrite: true);
    public static readonly FieldDef Metadata = new("metadata", 12, 0, 64, FieldFormat.Hex, Prereq.None, 3);
    public static readonly FieldDef CtMark = new("ct_mark", 17, 0, 32, FieldFormat.Hex, Prereq.None, 12);
    public static readonly FieldDef CtTpSrc = new("ct_tp_src", 17, 32, 16, FieldFormat.Decimal, Prereq.CtAny, 19, writable: false);
    public static readonly FieldDef CtTpDst = new("ct_tp_dst", 17, 48, 16, FieldFormat.Decimal, Prereq.CtAny, 19, writable: false);
    public static readonly FieldDef CtNwSrc = new("ct_nw_src", 18, 0, 32, FieldFormat.Ipv4, Prereq.CtIpv4, 14, writable: false);
    public static readonly FieldDef CtNwDst = new("ct_nw_dst", 18, 32, 32, FieldFormat.Ipv4, Prereq.CtIpv4, 15, writable: false);
    public static readonly FieldDef CtLabel = new("ct_label", 19, 0, 128, FieldFormat.Hex, Prereq.None, 13);
    public static readonly FieldDef CtIpv6Src = new("ct_ipv6_src", 21, 0, 128, FieldFormat.Ipv6, Prereq.CtIpv6, 16, writable: false);
    public static readonly FieldDef CtIpv6Dst = new("ct_ipv6_dst", 23, 0, 128, FieldFormat.Ipv6, Prereq.CtIpv6, 17, writable: false);
    public static readonly FieldDef TunId = new("tun_id", 25, 0, 64, FieldFormat.Hex, Prereq.None, 5);
    public static readonly FieldDef TunSrc = new("tun_src", 26, 0, 32, FieldFormat.Ipv4, Prereq.None, 6);
    public static readonly FieldDef TunDst = new("tun_dst", 26, 32, 32, FieldFormat.Ipv4, Prereq.None, 7);
    public static readonly FieldDef[] Regs = Enumerable.Range(0, 8)
        .Select(i => new FieldDef($"reg{i}", 13 + i / 2, (i & 1) * 32, 32, FieldFormat.Hex, Prereq.None, 1)).ToArray();

    /// <summary>Every field in canonical print order.</summary>
    public static readonly FieldDef[] All;

    private static readonly Dictionary<string, FieldDef> ByName = new(StringComparer.OrdinalIgnoreCase);

    static Fields()
    {
        var list = new List<FieldDef>
        {
            InPort, DlType, VlanTci, DlSrc, DlDst, NwProto, ArpOp, NwTtl, NwTos, NwEcn, NwFrag, NwSrc, NwDst, ArpSpa, ArpTpa,
            TpSrc, TpDst, IcmpType, IcmpCode, Icmpv6Type, Icmpv6Code, TcpFlags, Ipv6Src, Ipv6Dst, Ipv6Label, CtState, CtZone,
            CtNwProto, ArpSha, ArpTha, Metadata, CtMark, CtTpSrc, CtTpDst, CtNwSrc, CtNwDst, CtLabel, CtIpv6Src, CtIpv6Dst,
            TunId, TunSrc, TunDst,
        };
        list.AddRange(Regs);
        All = list.OrderBy(f => f.Order).ThenBy(f => f.Name, StringComparer.Ordinal).ToArray();
        foreach (var f in All) ByName[f.Name] = f;
        // OVS's other spellings and the NXM/OXM names used by load/move/set_field.
        Alias(NwSrc, "ip_src", "NXM_OF_IP_SRC", "OXM_OF_IPV4_SRC", "ipv4_src");
        Alias(NwDst, "ip_dst", "NXM_OF_IP_DST", "OXM_OF_IPV4_DST", "ipv4_dst");
        Alias(DlSrc, "eth_src", "NXM_OF_ETH_SRC", "OXM_OF_ETH_SRC");
        Alias(DlDst, "eth_dst", "NXM_OF_ETH_DST", "OXM_OF_ETH_DST");
        Alias(DlType, "eth_type", "NXM_OF_ETH_TYPE");
        Alias(InPort, "NXM_OF_IN_PORT");
        Alias(VlanTci, "NXM_OF_VLAN_TCI");
        Alias(NwProto, "ip_proto", "NXM_OF_IP_PROTO");
        Alias(NwTtl, "NXM_NX_IP_TTL");
        Alias(TpSrc, "NXM_OF_TCP_SRC", "tcp_src", "udp_src", "NXM_OF_UDP_SRC", "sctp_src");
        Alias(TpDst, "NXM_OF_TCP_DST", "tcp_dst", "udp_dst", "NXM_OF_UDP_DST", "sctp_dst");
        Alias(Ipv6Src, "NXM_NX_IPV6_SRC"); Alias(Ipv6Dst, "NXM_NX_IPV6_DST");
        Alias(ArpSpa, "NXM_OF_ARP_SPA"); Alias(ArpTpa, "NXM_OF_ARP_TPA"); Alias(ArpOp, "NXM_OF_ARP_OP");
        Alias(ArpSha, "NXM_NX_ARP_SHA"); Alias(ArpTha, "NXM_NX_ARP_THA");
        Alias(Metadata, "OXM_OF_METADATA");
        Alias(CtMark, "NXM_NX_CT_MARK"); Alias(CtLabel, "NXM_NX_CT_LABEL"); Alias(CtZone, "NXM_NX_CT_ZONE");
        Alias(CtState, "NXM_NX_CT_STATE");
        Alias(TunId, "NXM_NX_TUN_ID", "tunnel_id"); Alias(TunSrc, "NXM_NX_TUN_IPV4_SRC"); Alias(TunDst, "NXM_NX_TUN_IPV4_DST");
        Alias(TcpFlags, "NXM_NX_TCP_FLAGS");
        for (int i = 0; i < 8; i++) Alias(Regs[i], $"NXM_NX_REG{i}");
    }

    private static void Alias(FieldDef f, params string[] names)
    {
        foreach (var n in names) ByName[n] = f;
    }

    public static FieldDef? Find(string name) => ByName.TryGetValue(name, out var f) ? f : null;

    /// <summary>True when two names share one storage slot.</summary>
    public static bool SameSlot(FieldDef a, FieldDef b) => a.Word == b.Word && a.Shift == b.Shift && a.Bits == b.Bits;
}
