using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>The cluster routes by the engine's own connection key (one key extractor): a packet, its reply and an ICMP
/// error quoting it reach one entity, the one whose engine holds the connection under that key.</summary>
[Trait("Category", Tiers.Unit)]
public class CtRoutingTests
{
    private static readonly uint A = Ip("10.0.0.1"), B = Ip("10.0.0.2"), R = Ip("10.0.0.254");

    private static (byte[] Frame, FlowKey Key) Parsed(byte[] frame)
    {
        var k = default(FlowKey);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(frame, 1, ref k));
        return (frame, k);
    }

    private static string Route(byte[] frame) { var (f, k) = Parsed(frame); return CtRouting.EntityId(f, k, 3); }

    private static byte[] V4(uint src, uint dst, byte proto, byte[] l4) => Eth(MacA, MacB, EtherTypes.Ipv4, Ipv4(src, dst, proto, l4));

    [Fact]
    public void Echo_request_reply_and_an_error_quoting_the_request_route_to_one_entity_named_by_the_engines_key()
    {
        var requestIp = Ipv4(A, B, IpProtos.Icmp, Icmp(8, 0, 0x1234_0001));
        var request = Eth(MacA, MacB, EtherTypes.Ipv4, requestIp);
        var reply = V4(B, A, IpProtos.Icmp, Icmp(0, 0, 0x1234_0001));
        var unreachable = V4(R, A, IpProtos.Icmp, Icmp(3, 1, 0, requestIp[..28]));

        string id = Route(request);
        Assert.Equal(id, Route(reply));
        Assert.Equal(id, Route(unreachable));
        var (f, k) = Parsed(request);
        Assert.True(ConntrackEngine.ConnectionKeyOf(f, in k, 3, out var ck));
        Assert.Equal(CtRouting.ConnectionId(in ck), id);
        Assert.StartsWith("c/3/1/4/", id);
    }

    [Fact]
    public void Tcp_both_ways_and_a_port_unreachable_about_udp_route_with_their_connection()
    {
        Assert.Equal(Route(V4(A, B, IpProtos.Tcp, Tcp(40000, 80, Syn, 1))), Route(V4(B, A, IpProtos.Tcp, Tcp(80, 40000, Syn | Ack, 9, 2))));
        var udpIp = Ipv4(A, B, IpProtos.Udp, Udp(5000, 53, new byte[4]));
        Assert.Equal(Route(Eth(MacA, MacB, EtherTypes.Ipv4, udpIp)), Route(V4(B, A, IpProtos.Icmp, Icmp(3, 3, 0, udpIp[..28]))));
    }

    [Fact]
    public void What_the_engine_tracks_by_no_key_routes_by_the_pair_of_hosts()
    {
        // Router solicitation (type 10): no request/reply pair, so +inv wherever it is asked.
        var (f, k) = Parsed(V4(A, B, IpProtos.Icmp, Icmp(10, 0, 0)));
        Assert.False(ConntrackEngine.ConnectionKeyOf(f, in k, 3, out _));
        Assert.Equal(CtRouting.ConnectionId(3, IpProtos.Icmp, false, A, 0, B, 0), CtRouting.EntityId(f, k, 3));
    }

    [Fact]
    public void Fragments_of_one_datagram_route_to_the_reassemblers_key()
    {
        var udp = Udp(5000, 53, new byte[24]);
        var first = Eth(MacA, MacB, EtherTypes.Ipv4, Ipv4(A, B, IpProtos.Udp, udp[..16], id: 0x4242, mf: true));
        var last = Eth(MacA, MacB, EtherTypes.Ipv4, Ipv4(A, B, IpProtos.Udp, udp[16..], id: 0x4242, fragOffset: 16));
        var other = Eth(MacA, MacB, EtherTypes.Ipv4, Ipv4(A, B, IpProtos.Udp, udp[16..], id: 0x4243, fragOffset: 16));
        string id = Route(first);
        Assert.Equal(id, Route(last));
        Assert.NotEqual(id, Route(other));
        var (f, k) = Parsed(last);
        Assert.True(Reassembler.KeyOf(f, in k, 3, out var fk));
        Assert.Equal(new FragKey(3, false, A, B, IpProtos.Udp, 0x4242), fk);
        Assert.Equal($"f/3/4/{A:x}/{B:x}/17/4242", id);
    }
}
