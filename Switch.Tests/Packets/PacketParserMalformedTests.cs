using System.Buffers.Binary;
using Switch.Core.Packets;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Packets;

/// <summary>Frames cut short or with impossible header fields: each is reported with its named ParseResult.</summary>
[Trait("Category", Tiers.Unit)]
public class PacketParserMalformedTests
{
    private static readonly UInt128 V6A = Ip6("2001:db8::1"), V6B = Ip6("2001:db8::2");

    private static ParseResult Result(ReadOnlySpan<byte> frame)
    {
        var k = default(FlowKey);
        return PacketParser.Parse(frame, 1, ref k);
    }

    private static byte[] V4(byte proto, ReadOnlySpan<byte> l4) =>
        Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), proto, l4));

    private static byte[] V6(byte next, ReadOnlySpan<byte> payload) =>
        Eth(MacB, MacA, EtherTypes.Ipv6, Ipv6(V6A, V6B, next, payload, fillL4Checksum: false));

    [Fact]
    public void Ethernet_header_too_short()
    {
        Assert.Equal(ParseResult.TruncatedEthernet, Result(new byte[13]));
        Assert.Equal(ParseResult.TruncatedEthernet, Result([]));
    }

    [Fact]
    public void Vlan_tag_cut_short()
    {
        var tagged = Eth(MacB, MacA, EtherTypes.Ipv4, [], 100);
        Assert.Equal(ParseResult.TruncatedVlan, Result(tagged.AsSpan(0, 16)));
        var qinq = Eth(MacB, MacA, EtherTypes.Ipv4, [], 10, 20);
        Assert.Equal(ParseResult.TruncatedVlan, Result(qinq.AsSpan(0, 20)));
    }

    [Fact]
    public void Arp_cut_short()
    {
        var arp = Eth(MacB, MacA, EtherTypes.Arp, Arp(1, MacA, Ip("10.0.0.1"), 0, Ip("10.0.0.2")));
        Assert.Equal(ParseResult.TruncatedArp, Result(arp.AsSpan(0, arp.Length - 1)));
    }

    [Fact]
    public void Ipv4_header_shorter_than_20_bytes()
    {
        var f = V4(IpProtos.Udp, Udp(1, 2, []));
        Assert.Equal(ParseResult.TruncatedIpv4, Result(f.AsSpan(0, 14 + 19)));
    }

    [Theory]
    [InlineData(0x44)]   // IHL 16 bytes
    [InlineData(0x40)]   // IHL 0
    [InlineData(0x65)]   // version 6 behind the IPv4 ethertype
    public void Ipv4_bad_version_or_ihl(byte versionIhl)
    {
        var f = V4(IpProtos.Udp, Udp(1, 2, new byte[8]));
        f[14] = versionIhl;
        Assert.Equal(ParseResult.BadIpv4Header, Result(f));
    }

    [Fact]
    public void Ipv4_ihl_beyond_the_total_length()
    {
        var f = V4(IpProtos.Udp, Udp(1, 2, []));
        f[14] = 0x4f;                                                  // 60-byte header in a 28-byte datagram
        Assert.Equal(ParseResult.BadIpv4Header, Result(f));
    }

    [Fact]
    public void Ipv4_total_length_beyond_the_frame()
    {
        var f = V4(IpProtos.Udp, Udp(1, 2, new byte[8]));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), (ushort)(f.Length - 14 + 1));
        Assert.Equal(ParseResult.TruncatedIpv4, Result(f));
    }

    [Fact]
    public void Ipv6_header_cut_short()
    {
        var f = V6(IpProtos.Udp, Udp(1, 2, []));
        Assert.Equal(ParseResult.TruncatedIpv6, Result(f.AsSpan(0, 14 + 39)));
    }

    [Fact]
    public void Ipv6_payload_length_beyond_the_frame()
    {
        var f = V6(IpProtos.Udp, Udp(1, 2, new byte[8]));
        Assert.Equal(ParseResult.TruncatedIpv6, Result(f.AsSpan(0, f.Length - 1)));
    }

    [Fact]
    public void Ipv6_extension_header_longer_than_the_payload()
    {
        var hbh = Ipv6ExtHeader(IpProtos.Udp, new byte[6]);
        hbh[1] = 3;                                                    // claims 32 bytes, 8 present
        Assert.Equal(ParseResult.BadIpv6ExtensionHeader, Result(V6(IpProtos.HopByHop, [.. hbh, .. Udp(1, 2, [])])));
    }

    [Fact]
    public void Ipv6_extension_header_cut_before_its_length()
    {
        Assert.Equal(ParseResult.BadIpv6ExtensionHeader, Result(V6(IpProtos.DestOpts, [IpProtos.Udp, 0, 1, 2])));
        Assert.Equal(ParseResult.BadIpv6ExtensionHeader, Result(V6(IpProtos.Fragment, [IpProtos.Udp, 0, 0, 1])));
    }

    [Theory]
    [InlineData(0x40)]   // data offset 4 words
    [InlineData(0x00)]
    [InlineData(0x60)]   // data offset 24 bytes in a 20-byte segment
    public void Tcp_bad_data_offset(byte dataOffset)
    {
        var tcp = Tcp(1, 2, Syn);
        tcp[12] = dataOffset;
        Assert.Equal(ParseResult.BadTcpHeader, Result(V4(IpProtos.Tcp, tcp)));
    }

    [Fact]
    public void Truncated_l4_headers()
    {
        Assert.Equal(ParseResult.TruncatedTcp, Result(V4(IpProtos.Tcp, Tcp(1, 2, Syn).AsSpan(0, 19))));
        Assert.Equal(ParseResult.TruncatedTcp, Result(V6(IpProtos.Tcp, Tcp(1, 2, Syn).AsSpan(0, 10))));
        Assert.Equal(ParseResult.TruncatedUdp, Result(V4(IpProtos.Udp, Udp(1, 2, []).AsSpan(0, 7))));
        Assert.Equal(ParseResult.TruncatedUdp, Result(V6(IpProtos.Udp, Udp(1, 2, []).AsSpan(0, 4))));
        Assert.Equal(ParseResult.TruncatedIcmp, Result(V4(IpProtos.Icmp, Icmp(8, 0, 0).AsSpan(0, 3))));
        Assert.Equal(ParseResult.TruncatedIcmp, Result(V6(IpProtos.Icmpv6, [128])));
    }

    [Fact]
    public void Ethernet_padding_does_not_complete_a_truncated_l4_header()
    {
        // 6 bytes of UDP inside the IPv4 total length, then padding that would make a full header.
        var ip = Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, Udp(1, 2, []).AsSpan(0, 6));
        Assert.Equal(ParseResult.TruncatedUdp, Result(Eth(MacB, MacA, EtherTypes.Ipv4, [.. ip, 0, 0, 0, 0, 0, 0, 0, 0])));
    }

    [Fact]
    public void First_fragment_too_short_for_its_l4_header_is_kept()
    {
        // OVS keeps such fragments (ports zero); only reassembly can tell.
        var f = Eth(MacB, MacA, EtherTypes.Ipv4,
            Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Tcp, new byte[8], mf: true));
        var k = default(FlowKey);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(f, 1, ref k));
        Assert.Equal(FlowKey.FragAny, k.NwFrag);
        Assert.Equal(0, k.TpSrc);
    }

    [Fact]
    public void Parse_allocates_nothing()
    {
        byte[][] frames =
        [
            TcpV4("10.0.0.1", "10.0.0.2", 1, 2, Syn),
            UdpV4("10.0.0.1", "10.0.0.2", 1, 2, new byte[32]),
            TcpV6("2001:db8::1", "2001:db8::2", 1, 2, Ack),
            Eth(MacB, MacA, EtherTypes.Arp, Arp(1, MacA, Ip("10.0.0.1"), 0, Ip("10.0.0.2")), 5, 6),
            V6(IpProtos.HopByHop, [.. Ipv6ExtHeader(IpProtos.Fragment, []), .. Ipv6Fragment(IpProtos.Udp, 8, false, 1, new byte[8])]),
            V4(IpProtos.Icmp, Icmp(0, 0, 0)),
            new byte[10],
        ];
        var k = default(FlowKey);
        int sink = 0;
        for (int i = 0; i < 10_000; i++) sink += (int)PacketParser.Parse(frames[i % frames.Length], 1, ref k);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) sink += (int)PacketParser.Parse(frames[i % frames.Length], 1, ref k);
        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(before, after);
        Assert.NotEqual(0, sink);
    }
}
