using Xunit;
using Switch.Core.Conntrack;
using F = Switch.Core.Packets.FrameBuilder;
using static Switch.Tests.Conntrack.CtHarness;

namespace Switch.Tests.Conntrack;

[Trait("Category", Tiers.Unit)]
public class ConntrackCommitTests
{
    [Fact]
    public void Uncommitted_packets_are_always_new_and_leave_nothing_behind()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53)));
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53)));
        // The peer's answer is a fresh lookup, never +rpl.
        Assert.Equal("new,trk", h.Ct(Udp(B, A, 53, 5000)));
        Assert.Equal("inv,trk", h.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 1, 1)));
        Assert.Empty(h.Engine.Connections);
        Assert.Equal(0, h.Engine.Counters.Commits);
    }

    [Fact]
    public void Original_tuple_fields_are_set_in_both_directions()
    {
        var h = new CtHarness();
        h.Ct(Udp(A, B, 5000, 53), commit: true);
        h.Ct(Udp(B, A, 53, 5000));
        Assert.Equal(F.Ip(A), h.LastKey.CtNwSrc);
        Assert.Equal(F.Ip(B), h.LastKey.CtNwDst);
        Assert.Equal((ushort)5000, h.LastKey.CtTpSrc);
        Assert.Equal((ushort)53, h.LastKey.CtTpDst);
        Assert.Equal(17, h.LastKey.CtNwProto);
        Assert.Equal(UInt128.Zero, h.LastKey.CtIpv6Src);
    }

    [Fact]
    public void Zones_keep_identical_tuples_apart()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53), zone: 1, commit: true));
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53), zone: 2, commit: true));
        Assert.Equal("est,rpl,trk", h.Ct(Udp(B, A, 53, 5000), zone: 1));
        Assert.Equal((ushort)1, h.LastKey.CtZone);
        Assert.Equal("est,trk", h.Ct(Udp(A, B, 5000, 53), zone: 1));
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 5000, 53), zone: 2));
        Assert.Equal(2, h.Engine.Count);
        Assert.Equal(1, h.Engine.Counters.ZoneCount(1));
        Assert.Equal(1, h.Engine.Counters.ZoneCount(2));
    }

    [Fact]
    public void Mark_and_label_are_written_with_masks_on_commit_only()
    {
        var h = new CtHarness();
        var label = UInt128.Parse("0x1000000000000000000000000000abcd".Replace("0x", ""), System.Globalization.NumberStyles.HexNumber);
        h.Ct(Udp(A, B, 5000, 53), new CtRequest(0, Commit: true, SetMark: true, Mark: 0x12, MarkMask: 0xff,
            SetLabel: true, Label: label, LabelMask: UInt128.MaxValue));
        Assert.Equal(0x12u, h.LastKey.CtMark);
        Assert.Equal(label, h.LastKey.CtLabel);
        // A masked write keeps the other bits.
        h.Ct(Udp(A, B, 5000, 53), new CtRequest(0, Commit: true, SetMark: true, Mark: 0x300, MarkMask: 0xf00));
        Assert.Equal(0x312u, h.LastKey.CtMark);
        // Without commit nothing is written.
        h.Ct(Udp(A, B, 5000, 53), new CtRequest(0, SetMark: true, Mark: 0x1, MarkMask: 0xffffffff));
        Assert.Equal(0x312u, h.LastKey.CtMark);
        Assert.Equal("est,rpl,trk", h.Ct(Udp(B, A, 53, 5000)));
        Assert.Equal(0x312u, h.LastKey.CtMark);
        Assert.Equal(label, h.LastKey.CtLabel);
        Assert.Equal("udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=5000,dport=53),reply=(src=10.0.0.2,dst=10.0.0.1,sport=53,dport=5000),mark=786,labels=0x1000000000000000000000000000abcd",
            Assert.Single(h.Engine.DumpConntrack()));
    }

    [Fact]
    public void Force_restarts_a_connection_seen_in_its_reply_direction()
    {
        var h = new CtHarness();
        h.Ct(Udp(A, B, 5000, 53), commit: true);
        Assert.Equal("est,rpl,trk", h.Ct(Udp(B, A, 53, 5000), commit: true));
        Assert.Equal("new,trk", h.Ct(Udp(B, A, 53, 5000), commit: true, force: true));
        Assert.Equal(F.Ip(B), h.LastKey.CtNwSrc);
        Assert.Equal("udp,orig=(src=10.0.0.2,dst=10.0.0.1,sport=53,dport=5000),reply=(src=10.0.0.1,dst=10.0.0.2,sport=5000,dport=53)",
            Assert.Single(h.Engine.DumpConntrack()));
        // Original direction with force changes nothing.
        Assert.Equal("new,trk", h.Ct(Udp(B, A, 53, 5000), commit: true, force: true));
        Assert.Equal(1, h.Engine.Count);
    }

    [Fact]
    public void Second_ct_in_the_same_zone_only_commits()
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80);
        var frame = Tcp(A, B, 40000, 80, F.Ack, c, s, "x");
        var p = Switch.Core.Packets.Packet.From(frame);
        var k = default(Switch.Core.Packets.FlowKey);
        Switch.Core.Packets.PacketParser.Parse(p.Span, 1, ref k);
        h.Engine.Execute(ref p, ref k, new CtRequest(0));
        Assert.Equal(St("est,trk"), k.CtState);
        var conn = Assert.Single(h.Engine.Connections);
        uint end = conn.Tcp.Orig.End;
        h.Engine.Execute(ref p, ref k, new CtRequest(0, Commit: true, SetMark: true, Mark: 9, MarkMask: 0xff));
        Assert.Equal(St("est,trk"), k.CtState);
        Assert.Equal(9u, k.CtMark);
        Assert.Equal(end, conn.Tcp.Orig.End);
        Assert.Equal(0, conn.Tcp.Retrans);
    }

    [Fact]
    public void Non_ip_frames_are_invalid()
    {
        var h = new CtHarness();
        var arp = F.Eth(F.MacB, F.MacA, Switch.Core.Packets.EtherTypes.Arp, F.Arp(1, F.MacA, F.Ip(A), 0, F.Ip(B)));
        Assert.Equal("inv,trk", h.Ct(arp, zone: 3, commit: true));
        Assert.Equal((ushort)3, h.LastKey.CtZone);
    }

    [Fact]
    public void A_connection_moves_between_engines_with_its_state()
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80, commitReq: new CtRequest(0, Commit: true, SetMark: true, Mark: 5, MarkMask: 0xff));
        var conn = Assert.Single(h.Engine.Connections);
        Assert.True(h.Engine.Export(conn));
        Assert.Empty(h.Engine.Connections);
        var other = new ConntrackEngine(h.Clock);
        Assert.True(other.Import(conn));
        Assert.False(other.Import(conn));
        var p = Switch.Core.Packets.Packet.From(Tcp(B, A, 80, 40000, F.Ack, s, c));
        var k = default(Switch.Core.Packets.FlowKey);
        Switch.Core.Packets.PacketParser.Parse(p.Span, 1, ref k);
        other.Execute(ref p, ref k, new CtRequest(0));
        Assert.Equal(St("est,rpl,trk"), k.CtState);
        Assert.Equal(5u, k.CtMark);
        // The old engine's timers do not touch the moved connection.
        h.Advance(500_000);
        h.Engine.ExpireNow();
        Assert.False(conn.Has(ConnStatus.Dying));
        Assert.Equal(1, other.ExpireNow());
    }

    [Fact]
    public void Cached_lookup_without_commit_does_not_run_the_tracker_twice()
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80);
        var p = Switch.Core.Packets.Packet.From(Tcp(A, B, 40000, 80, F.Ack | F.Psh, c, s, "data"));
        var k = default(Switch.Core.Packets.FlowKey);
        Switch.Core.Packets.PacketParser.Parse(p.Span, 1, ref k);
        h.Engine.Execute(ref p, ref k, new CtRequest(0));
        // Re-running the tracker on the same segment would count it as a retransmission.
        h.Engine.Execute(ref p, ref k, new CtRequest(0));
        h.Engine.Execute(ref p, ref k, new CtRequest(0));
        Assert.Equal(0, Assert.Single(h.Engine.Connections).Tcp.Retrans);
        // Another zone is a separate lookup.
        h.Engine.Execute(ref p, ref k, new CtRequest(9));
        Assert.Equal(St("new,trk"), k.CtState);
    }
}
