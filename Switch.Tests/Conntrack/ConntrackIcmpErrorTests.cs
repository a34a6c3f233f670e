using Xunit;
using F = Switch.Core.Packets.FrameBuilder;
using static Switch.Tests.Conntrack.CtHarness;

namespace Switch.Tests.Conntrack;

[Trait("Category", Tiers.Unit)]
public class ConntrackIcmpErrorTests
{
    private const string Router = "10.0.9.9";

    [Fact]
    public void Error_about_an_original_packet_travels_in_the_reply_direction()
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80);
        var quoted = L3(Tcp(A, B, 40000, 80, F.Ack, c, s, "data"));
        // Destination unreachable from a router back to A, quoting A's packet.
        Assert.Equal("rel,rpl,trk", h.Ct(Icmp(Router, A, 3, 1, 0, 0, quoted[..28])));
        Assert.Equal(F.Ip(A), h.LastKey.CtNwSrc);
        Assert.Equal((ushort)80, h.LastKey.CtTpDst);
        // Time exceeded quoting B's answer, going to B: original direction.
        var quotedReply = L3(Tcp(B, A, 80, 40000, F.Ack, s, c));
        Assert.Equal("rel,trk", h.Ct(Icmp(Router, B, 11, 0, 0, 0, quotedReply[..28])));
        Assert.Single(h.Engine.Connections);
    }

    [Fact]
    public void Error_without_a_connection_or_to_the_wrong_host_is_invalid()
    {
        var h = new CtHarness();
        var quoted = L3(Udp(A, B, 5000, 53));
        Assert.Equal("inv,trk", h.Ct(Icmp(Router, A, 3, 3, 0, 0, quoted[..28])));
        h.Ct(Udp(A, B, 5000, 53), commit: true);
        Assert.Equal("rel,rpl,trk", h.Ct(Icmp(B, A, 3, 3, 0, 0, quoted[..28])));
        // Outer destination is not the quoted source.
        Assert.Equal("inv,trk", h.Ct(Icmp(B, C, 3, 3, 0, 0, quoted[..28])));
        Assert.Single(h.Engine.DumpConntrack());
    }

    [Fact]
    public void Icmpv6_packet_too_big_is_related()
    {
        var h = new CtHarness();
        h.Ct(Tcp6("2001:db8::1", "2001:db8::2", 4000, 22, F.Syn, 1, 0), commit: true);
        var quoted = L3(Tcp6("2001:db8::1", "2001:db8::2", 4000, 22, F.Syn, 1, 0));
        Assert.Equal("rel,rpl,trk", h.Ct(Icmp6("2001:db8::fe", "2001:db8::1", 2, 0, 1280, quoted)));
        Assert.Equal("inv,trk", h.Ct(Icmp6("2001:db8::fe", "2001:db8::1", 1, 0, 0, L3(Tcp6("2001:db8::1", "2001:db8::2", 4001, 22, F.Syn, 1, 0)))));
    }

    [Fact]
    public void Error_quoting_an_icmp_echo_is_related()
    {
        var h = new CtHarness();
        h.Ct(Icmp(A, B, 8, 0, 5), commit: true);
        var quoted = L3(Icmp(A, B, 8, 0, 5));
        Assert.Equal("rel,rpl,trk", h.Ct(Icmp(Router, A, 11, 0, 0, 0, quoted)));
    }
}
