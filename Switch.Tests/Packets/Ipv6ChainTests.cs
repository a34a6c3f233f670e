using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;
using Dp = Switch.Core.Datapath.Datapath;

namespace Switch.Tests.Packets;

/// <summary>
/// Regression (issue 12): the IPv6 extension-header walk stopped after 16 headers, so a TCP segment behind a longer
/// chain was classified as protocol 60 (destination options): a SYN hidden that way evaded `tcp6,tp_dst=22
/// actions=drop` and passed the stateful firewall. The chain is now walked to its end, bounded by the packet.
/// </summary>
[Trait("Category", Tiers.Unit)]
public class Ipv6ChainTests
{
    private static readonly UInt128 A = Ip6("2001:db8::1"), B = Ip6("2001:db8::2");

    /// <summary>A TCP segment behind <paramref name="headers"/> destination-options headers.</summary>
    private static byte[] TcpBehindChain(int headers, byte flags, UInt128 src, UInt128 dst, ushort sport, ushort dport)
    {
        var tcp = WithIpv6L4Checksum(src, dst, IpProtos.Tcp, Tcp(sport, dport, flags, seq: 1000));
        var payload = new List<byte>();
        for (int i = 0; i < headers; i++)
            payload.AddRange(Ipv6ExtHeader(i == headers - 1 ? IpProtos.Tcp : IpProtos.DestOpts, ReadOnlySpan<byte>.Empty));
        payload.AddRange(tcp);
        return Eth(MacB, MacA, EtherTypes.Ipv6, Ipv6(src, dst, headers == 0 ? IpProtos.Tcp : IpProtos.DestOpts, payload.ToArray(), fillL4Checksum: false));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(200)]
    public void Tcp_behind_any_number_of_extension_headers_is_tcp(int headers)
    {
        var k = default(FlowKey);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(TcpBehindChain(headers, Syn, A, B, 40000, 22), 1, ref k));
        Assert.Equal(IpProtos.Tcp, k.NwProto);
        Assert.Equal((ushort)22, k.TpDst);
        Assert.Equal(14 + 40 + headers * 8, k.L4Ofs);
    }

    [Fact]
    public void A_chain_that_runs_past_the_packet_is_malformed()
    {
        var frame = TcpBehindChain(20, Syn, A, B, 40000, 22);
        // The last header claims 2 040 bytes more than the datagram holds.
        frame[14 + 40 + 19 * 8 + 1] = 255;
        var k = default(FlowKey);
        Assert.Equal(ParseResult.BadIpv6ExtensionHeader, PacketParser.Parse(frame, 1, ref k));
    }

    [Fact]
    public void A_syn_hidden_behind_20_headers_meets_the_drop_flow_and_the_firewall()
    {
        var clock = new ManualClock(1_000_000);
        var dp = new Dp(new ConntrackEngine(clock), clock);
        var ports = new Dictionary<uint, InMemoryPort>();
        foreach (uint p in new uint[] { 1, 2 }) { ports[p] = new InMemoryPort(p); dp.AddPort(ports[p]); }
        foreach (var f in new[]
        {
            "table=0,priority=200,tcp6,tp_dst=22 actions=drop",
            "table=0,priority=100,ipv6 actions=ct(table=1)",
            "table=1,ipv6,ct_state=+trk+new,in_port=1 actions=ct(commit),output:2",
            "table=1,ct_state=+trk+est actions=output:1,output:2",
            "table=1,ct_state=+trk+new,in_port=2 actions=drop",
        }) dp.AddFlow(FlowParser.Parse(f));

        var t = new PacketTrace();
        dp.Receive(Packet.From(TcpBehindChain(20, Syn, A, B, 40000, 22), 1), t);
        Assert.Equal("drop_action", t.DropReason);
        Assert.Empty(ports[2].Sent);

        // An inside connection opened with the same chain must not let an outside SYN to another port pass as its
        // reply (with the chain read as protocol 60, any packet between the two addresses was that "connection").
        dp.Receive(Packet.From(TcpBehindChain(20, Syn, A, B, 40000, 80), 1), new PacketTrace());
        Assert.Single(ports[2].Sent);
        var outside = new PacketTrace();
        dp.Receive(Packet.From(TcpBehindChain(20, Syn, B, A, 5555, 23), 2), outside);
        Assert.Equal(0, outside.Ct[^1].State & CtStateBits.Established);
        Assert.NotEqual(0, outside.Ct[^1].State & CtStateBits.New);
        Assert.Empty(ports[1].Sent);
    }

    [Fact]
    public void An_icmpv6_error_quoting_a_packet_with_extension_headers_routes_to_its_connection()
    {
        // The quoted packet: a UDP datagram from A to B behind a hop-by-hop header.
        var udp = WithIpv6L4Checksum(A, B, IpProtos.Udp, Udp(5000, 53, new byte[8]));
        var quoted = Ipv6(A, B, IpProtos.HopByHop, [.. Ipv6ExtHeader(IpProtos.Udp, ReadOnlySpan<byte>.Empty), .. udp], fillL4Checksum: false);
        var orig = Eth(MacB, MacA, EtherTypes.Ipv6, quoted);
        var ko = default(FlowKey);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(orig, 1, ref ko));
        string connection = CtRouting.EntityId(orig, ko, 0);

        // B answers "port unreachable" (ICMPv6 type 1, code 4) quoting it.
        var icmp = WithIpv6L4Checksum(B, A, IpProtos.Icmpv6, Icmp(1, 4, 0, quoted));
        var err = Eth(MacA, MacB, EtherTypes.Ipv6, Ipv6(B, A, IpProtos.Icmpv6, icmp, fillL4Checksum: false));
        var ke = default(FlowKey);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(err, 2, ref ke));

        Assert.Equal(connection, CtRouting.EntityId(err, ke, 0));
    }
}
