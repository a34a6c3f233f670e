using System.Buffers.Binary;
using Switch.Core.Packets;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Packets;

/// <summary>PacketParser on well-formed frames built with FrameBuilder: each field lands where OVS puts it.</summary>
[Trait("Category", Tiers.Unit)]
public class PacketParserTests
{
    private static readonly UInt128 V6A = Ip6("2001:db8::1"), V6B = Ip6("2001:db8::2");

    internal static FlowKey Parse(ReadOnlySpan<byte> frame, uint inPort = 1)
    {
        var k = default(FlowKey);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(frame, inPort, ref k));
        return k;
    }

    [Fact]
    public void Ethernet_addresses_type_and_in_port()
    {
        var k = Parse(Eth(Mac("01:80:c2:00:00:0e"), Mac("02:11:22:33:44:55"), 0x88cc, new byte[30]), inPort: 7);

        Assert.Equal(7u, k.InPort);
        Assert.Equal(0x0180c200000eUL, k.DlDst);
        Assert.Equal(0x021122334455UL, k.DlSrc);
        Assert.Equal((ushort)0x88cc, k.DlType);
        Assert.Equal(0, k.VlanTci);
        Assert.Equal((14, -1, 0), (k.L3Ofs, k.L4Ofs, k.L3Len));
    }

    [Fact]
    public void Ieee_802_3_length_field_gives_ovs_dl_type_none()
    {
        Assert.Equal((ushort)0x05ff, Parse(Eth(MacB, MacA, 46, new byte[46])).DlType);
    }

    [Fact]
    public void Vlan_tag_sets_vid_pcp_and_the_cfi_bit()
    {
        ushort tci = (5 << 13) | 100;
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, Udp(1, 2, [])), tci));

        Assert.Equal((ushort)(tci | 0x1000), k.VlanTci);
        Assert.Equal(100, k.VlanTci & 0x0fff);                 // dl_vlan
        Assert.Equal(5, k.VlanTci >> 13);                      // dl_vlan_pcp
        Assert.Equal(0, k.Vlan2Tci);
        Assert.Equal(EtherTypes.Ipv4, k.DlType);
        Assert.Equal(18, k.L3Ofs);
        Assert.Equal((ushort)2, k.TpDst);
    }

    [Fact]
    public void Vlan_id_zero_priority_tag_still_marks_a_tag_present()
    {
        Assert.Equal((ushort)0x1000, Parse(Eth(MacB, MacA, 0x88b5, new byte[40], 0)).VlanTci);
    }

    [Fact]
    public void QinQ_outer_tag_in_vlan_tci_inner_in_vlan2_tci()
    {
        var frame = Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Tcp, Tcp(1234, 80, Syn)),
            (3 << 13) | 10, (1 << 13) | 200);
        Assert.Equal(EtherTypes.QinQ, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));

        var k = Parse(frame);

        Assert.Equal((ushort)(0x1000 | (3 << 13) | 10), k.VlanTci);
        Assert.Equal((ushort)(0x1000 | (1 << 13) | 200), k.Vlan2Tci);
        Assert.Equal(EtherTypes.Ipv4, k.DlType);
        Assert.Equal(22, k.L3Ofs);
        Assert.Equal((ushort)1234, k.TpSrc);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Arp_request_and_reply(ushort op)
    {
        ulong sha = Mac("02:00:00:00:00:01"), tha = op == 1 ? 0 : Mac("02:00:00:00:00:02");
        var k = Parse(Eth(op == 1 ? 0xffffffffffffUL : MacB, MacA, EtherTypes.Arp, Arp(op, sha, Ip("192.168.1.1"), tha, Ip("192.168.1.2"))));

        Assert.Equal(EtherTypes.Arp, k.DlType);
        Assert.Equal((byte)op, k.NwProto);                     // arp_op
        Assert.Equal(Ip("192.168.1.1"), k.NwSrc);              // arp_spa
        Assert.Equal(Ip("192.168.1.2"), k.NwDst);              // arp_tpa
        Assert.Equal(sha, k.ArpSha);
        Assert.Equal(tha, k.ArpTha);
    }

    [Fact]
    public void Ipv4_fields_tos_ecn_ttl_and_l3_length()
    {
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv4,
            Ipv4(Ip("10.1.2.3"), Ip("10.4.5.6"), IpProtos.Udp, Udp(5353, 53, new byte[12]), ttl: 33, tos: 0xb9)));

        Assert.Equal(Ip("10.1.2.3"), k.NwSrc);
        Assert.Equal(Ip("10.4.5.6"), k.NwDst);
        Assert.Equal(IpProtos.Udp, k.NwProto);
        Assert.Equal(0xb8, k.NwTos);
        Assert.Equal(1, k.NwEcn);
        Assert.Equal(33, k.NwTtl);
        Assert.Equal(0, k.NwFrag);
        Assert.Equal((ushort)5353, k.TpSrc);
        Assert.Equal((ushort)53, k.TpDst);
        Assert.Equal((14, 34, 42, 40), (k.L3Ofs, k.L4Ofs, k.L7Ofs, k.L3Len));
    }

    [Fact]
    public void Ipv4_options_are_skipped_to_find_l4()
    {
        byte[] rr = [7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0];          // record route, two slots
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv4,
            Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Tcp, Tcp(4444, 22, Ack), options: rr)));

        Assert.Equal(14 + 32, k.L4Ofs);
        Assert.Equal((ushort)4444, k.TpSrc);
        Assert.Equal((ushort)22, k.TpDst);
        Assert.Equal(Ack, k.TcpFlags);
    }

    [Fact]
    public void Ipv4_first_fragment_has_ports_later_fragment_does_not()
    {
        var udp = Udp(1000, 2000, new byte[64]);
        var first = Parse(Eth(MacB, MacA, EtherTypes.Ipv4,
            Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, udp.AsSpan(0, 40), id: 9, mf: true)));
        var later = Parse(Eth(MacB, MacA, EtherTypes.Ipv4,
            Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, udp.AsSpan(40), id: 9, fragOffset: 40)));

        Assert.Equal(FlowKey.FragAny, first.NwFrag);
        Assert.Equal(((ushort)1000, (ushort)2000), (first.TpSrc, first.TpDst));
        Assert.Equal(FlowKey.FragAny | FlowKey.FragLater, later.NwFrag);
        Assert.Equal(IpProtos.Udp, later.NwProto);
        Assert.Equal((0, 0), (later.TpSrc, later.TpDst));
        Assert.Equal(-1, later.L7Ofs);
    }

    [Fact]
    public void Ipv4_last_fragment_without_more_fragments_is_a_later_fragment()
    {
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv4,
            Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Tcp, new byte[24], fragOffset: 1480)));

        Assert.Equal(FlowKey.FragAny | FlowKey.FragLater, k.NwFrag);
        Assert.Equal(0, k.TpSrc);
    }

    [Fact]
    public void Ipv6_fields_traffic_class_label_hop_limit()
    {
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv6,
            Ipv6(V6A, V6B, IpProtos.Udp, Udp(546, 547, new byte[4]), hopLimit: 7, tc: 0x2a, flowLabel: 0xabcde)));

        Assert.Equal(EtherTypes.Ipv6, k.DlType);
        Assert.Equal(V6A, k.Ipv6Src);
        Assert.Equal(V6B, k.Ipv6Dst);
        Assert.Equal(0x28, k.NwTos);
        Assert.Equal(2, k.NwEcn);
        Assert.Equal(7, k.NwTtl);
        Assert.Equal(0xabcdeu, k.Ipv6Label);
        Assert.Equal(IpProtos.Udp, k.NwProto);
        Assert.Equal(((ushort)546, (ushort)547), (k.TpSrc, k.TpDst));
        Assert.Equal((14, 54, 62, 52), (k.L3Ofs, k.L4Ofs, k.L7Ofs, k.L3Len));
    }

    [Fact]
    public void Ipv6_hop_by_hop_destination_options_and_first_fragment_chain()
    {
        var tcp = WithIpv6L4Checksum(V6A, V6B, IpProtos.Tcp, Tcp(5000, 443, Syn));
        byte[] chain =
        [
            .. Ipv6ExtHeader(IpProtos.DestOpts, [5, 2, 0, 0]),          // router alert
            .. Ipv6ExtHeader(IpProtos.Fragment, new byte[12]),         // 16 bytes
            .. Ipv6Fragment(IpProtos.Tcp, 0, more: true, 77, tcp),
        ];
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv6, Ipv6(V6A, V6B, IpProtos.HopByHop, chain, fillL4Checksum: false)));

        Assert.Equal(IpProtos.Tcp, k.NwProto);
        Assert.Equal(FlowKey.FragAny, k.NwFrag);
        Assert.Equal(14 + 40 + 8 + 16 + 8, k.L4Ofs);
        Assert.Equal(((ushort)5000, (ushort)443), (k.TpSrc, k.TpDst));
        Assert.Equal(Syn, k.TcpFlags);
    }

    [Fact]
    public void Ipv6_later_fragment_has_the_upper_protocol_but_no_ports()
    {
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv6,
            Ipv6(V6A, V6B, IpProtos.Fragment, Ipv6Fragment(IpProtos.Udp, 1232, more: false, 77, new byte[100]), fillL4Checksum: false)));

        Assert.Equal(FlowKey.FragAny | FlowKey.FragLater, k.NwFrag);
        Assert.Equal(IpProtos.Udp, k.NwProto);
        Assert.Equal(14 + 48, k.L4Ofs);
        Assert.Equal((0, 0), (k.TpSrc, k.TpDst));
    }

    [Fact]
    public void Tcp_flags_are_12_bits_including_ns()
    {
        var tcp = Tcp(1, 2, Fin | Syn | Rst | Psh | Ack | Urg | 0x40 | 0x80);   // + ECE, CWR
        tcp[12] |= 0x01;                                                        // NS (RFC 3540)
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Tcp, tcp)));

        Assert.Equal(0x1ff, k.TcpFlags);
    }

    [Fact]
    public void Tcp_options_put_l7_after_the_data_offset()
    {
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Tcp,
            Tcp(1, 2, Syn, payload: "hi"u8, options: [2, 4, 5, 0xb4]))));

        Assert.Equal(14 + 20 + 24, k.L7Ofs);
    }

    [Fact]
    public void Sctp_ports_and_l7_after_the_12_byte_common_header()
    {
        byte[] sctp = [0x0b, 0xb8, 0x0b, 0xb9, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 4];
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Sctp, sctp)));

        Assert.Equal(((ushort)3000, (ushort)3001), (k.TpSrc, k.TpDst));
        Assert.Equal(14 + 20 + 12, k.L7Ofs);
    }

    [Fact]
    public void Sctp_shorter_than_its_common_header_has_no_ports_and_no_l7_past_the_frame()
    {
        // OVS parse_sctp() needs the whole 12-byte header; with 8 the parser used to set L7Ofs 4 bytes past the frame.
        var frame = Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Sctp, [0x0b, 0xb8, 0x0b, 0xb9, 0, 0, 0, 1]));
        var k = Parse(frame);

        Assert.Equal((0, 0), (k.TpSrc, k.TpDst));
        Assert.True(k.L7Ofs <= frame.Length);
    }

    [Fact]
    public void Icmp_type_and_code_go_to_tp_src_and_tp_dst()
    {
        var echo = Parse(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Icmp, Icmp(8, 0, 0x0001_0002))));
        var unreach = Parse(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Icmp, Icmp(3, 4, 1400))));

        Assert.Equal((IpProtos.Icmp, (ushort)8, (ushort)0), (echo.NwProto, echo.TpSrc, echo.TpDst));
        Assert.Equal(((ushort)3, (ushort)4), (unreach.TpSrc, unreach.TpDst));
    }

    [Fact]
    public void Icmpv6_type_and_code()
    {
        var k = Parse(Eth(MacB, MacA, EtherTypes.Ipv6, Ipv6(V6A, V6B, IpProtos.Icmpv6, Icmp(135, 0, 0, new byte[16]), hopLimit: 255)));

        Assert.Equal((IpProtos.Icmpv6, (ushort)135, (ushort)0), (k.NwProto, k.TpSrc, k.TpDst));
        Assert.Equal(255, k.NwTtl);
    }

    [Fact]
    public void Ethernet_padding_beyond_the_ipv4_total_length_is_ignored()
    {
        var ip = Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, Udp(7, 9, "ab"u8));   // 30 bytes
        var padded = Eth(MacB, MacA, EtherTypes.Ipv4, [.. ip, .. new byte[16]]);         // 60-byte minimum frame

        var k = Parse(padded);

        Assert.Equal(30, k.L3Len);
        Assert.Equal(14 + 28, k.L7Ofs);
        Assert.Equal(((ushort)7, (ushort)9), (k.TpSrc, k.TpDst));
    }

    [Fact]
    public void Parse_resets_a_reused_key()
    {
        var k = Parse(TcpV4("10.0.0.1", "10.0.0.2", 1, 2, Syn));
        k.SetReg(0, 5);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(Eth(MacB, MacA, 0x88b5, new byte[40]), 3, ref k));

        Assert.Equal((0u, 0, (byte)0, -1), (k.GetReg(0), k.TpSrc, k.NwProto, k.L4Ofs));
    }
}
