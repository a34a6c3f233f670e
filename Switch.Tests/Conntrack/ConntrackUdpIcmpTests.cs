using Xunit;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using F = Switch.Core.Packets.FrameBuilder;
using static Switch.Tests.Conntrack.CtHarness;

namespace Switch.Tests.Conntrack;

[Trait("Category", Tiers.Unit)]
public class ConntrackUdpIcmpTests
{
    [Fact]
    public void Udp_is_new_until_a_reply_then_established()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53), commit: true));
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53)));
        Assert.Equal("est,rpl,trk", h.Ct(Udp(B, A, 53, 5000)));
        Assert.Equal("est,trk", h.Ct(Udp(A, B, 5000, 53)));
        Assert.Equal("udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=5000,dport=53),reply=(src=10.0.0.2,dst=10.0.0.1,sport=53,dport=5000)",
            Assert.Single(h.Engine.DumpConntrack()));
    }

    [Fact]
    public void Udp_unreplied_entry_expires_after_30_seconds_and_each_packet_refreshes_it()
    {
        var h = new CtHarness();
        h.Ct(Udp(A, B, 5000, 53), commit: true);
        h.Advance(20);
        h.Ct(Udp(A, B, 5000, 53));
        h.Advance(20);
        Assert.Equal(0, h.Engine.ExpireNow());
        h.Advance(11);
        Assert.Equal(1, h.Engine.ExpireNow());
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53)));
    }

    [Fact]
    public void Udp_stream_gets_120_seconds_and_assured_after_two_seconds()
    {
        var h = new CtHarness();
        h.Ct(Udp(A, B, 5000, 53), commit: true);
        h.Ct(Udp(B, A, 53, 5000));
        h.Advance(3);
        h.Ct(Udp(A, B, 5000, 53));
        var c = Assert.Single(h.Engine.Connections);
        Assert.True(c.Has(ConnStatus.Assured));
        h.Advance(119);
        Assert.Equal(0, h.Engine.ExpireNow());
        h.Advance(2);
        Assert.Equal(1, h.Engine.ExpireNow());
    }

    [Fact]
    public void Icmp_echo_request_and_reply_match_by_id()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Icmp(A, B, 8, 0, 77), commit: true));
        Assert.Equal("est,rpl,trk", h.Ct(Icmp(B, A, 0, 0, 77)));
        Assert.Equal("est,trk", h.Ct(Icmp(A, B, 8, 0, 77, seq: 2)));
        Assert.Equal((ushort)8, h.LastKey.CtTpSrc);
        Assert.Equal((ushort)0, h.LastKey.CtTpDst);
        Assert.Equal(1, h.LastKey.CtNwProto);
        // Another id is another connection; a reply without request is invalid.
        Assert.Equal("inv,trk", h.Ct(Icmp(B, A, 0, 0, 78)));
        Assert.Equal("icmp,orig=(src=10.0.0.1,dst=10.0.0.2,id=77,type=8,code=0),reply=(src=10.0.0.2,dst=10.0.0.1,id=77,type=0,code=0)",
            Assert.Single(h.Engine.DumpConntrack()));
        h.Advance(31);
        Assert.Equal(1, h.Engine.ExpireNow());
    }

    [Fact]
    public void Icmp_types_that_cannot_be_tracked_are_invalid()
    {
        var h = new CtHarness();
        Assert.Equal("inv,trk", h.Ct(Icmp(A, B, 9, 0, 1), commit: true));  // router advertisement
        Assert.Equal("inv,trk", h.Ct(Icmp(A, B, 40, 0, 1), commit: true)); // beyond type 18
        Assert.Equal("inv,trk", h.Ct(Icmp6("2001:db8::1", "2001:db8::2", 135, 0, 0), commit: true)); // neighbour solicitation
        Assert.Empty(h.Engine.Connections);
    }

    [Fact]
    public void Icmpv6_echo_is_tracked()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Icmp6("2001:db8::1", "2001:db8::2", 128, 0, 0x00090001), commit: true));
        Assert.Equal("est,rpl,trk", h.Ct(Icmp6("2001:db8::2", "2001:db8::1", 129, 0, 0x00090001)));
        Assert.Equal("icmpv6,orig=(src=2001:db8::1,dst=2001:db8::2,id=9,type=128,code=0),reply=(src=2001:db8::2,dst=2001:db8::1,id=9,type=129,code=0)",
            Assert.Single(h.Engine.DumpConntrack()));
    }

    [Fact]
    public void Other_protocols_use_the_generic_tracker_with_600_seconds()
    {
        var h = new CtHarness();
        byte[] gre = F.Eth(F.MacB, F.MacA, EtherTypes.Ipv4, F.Ipv4(F.Ip(A), F.Ip(B), 112, new byte[20]));
        byte[] back = F.Eth(F.MacA, F.MacB, EtherTypes.Ipv4, F.Ipv4(F.Ip(B), F.Ip(A), 112, new byte[20]));
        Assert.Equal("new,trk", h.Ct(gre, commit: true));
        Assert.Equal("est,rpl,trk", h.Ct(back));
        Assert.Equal("112,orig=(src=10.0.0.1,dst=10.0.0.2,sport=0,dport=0),reply=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=0)",
            Assert.Single(h.Engine.DumpConntrack()));
        h.Advance(599);
        Assert.Equal(0, h.Engine.ExpireNow());
        h.Advance(2);
        Assert.Equal(1, h.Engine.ExpireNow());
    }

    [Fact]
    public void Bad_udp_checksum_is_invalid_but_zero_checksum_is_accepted()
    {
        var h = new CtHarness();
        var f = Udp(A, B, 5000, 53);
        f[14 + 20 + 6] ^= 0x55;
        Assert.Equal("inv,trk", h.Ct(f, commit: true));
        f[14 + 20 + 6] = 0; f[14 + 20 + 7] = 0;
        Assert.Equal("new,trk", h.Ct(f, commit: true));
    }

    [Fact]
    public void Per_zone_timeout_policy_overrides_the_defaults()
    {
        var h = new CtHarness(new ConntrackSettings
        {
            ZoneTimeouts = new Dictionary<ushort, CtTimeouts> { [7] = new CtTimeouts { UdpUnreplied = TimeSpan.FromSeconds(5) } },
        });
        h.Ct(Udp(A, B, 5000, 53), zone: 7, commit: true);
        h.Ct(Udp(A, B, 5000, 53), zone: 0, commit: true);
        h.Advance(6);
        Assert.Equal(1, h.Engine.ExpireNow());
        Assert.Equal(0, Assert.Single(h.Engine.Connections).Zone);
    }
}
