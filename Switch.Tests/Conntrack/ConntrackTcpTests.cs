using Xunit;
using Switch.Core.Conntrack;
using F = Switch.Core.Packets.FrameBuilder;
using static Switch.Tests.Conntrack.CtHarness;

namespace Switch.Tests.Conntrack;

[Trait("Category", Tiers.Unit)]
public class ConntrackTcpTests
{
    private static TcpState StateOf(CtHarness h) => Assert.Single(h.Engine.Connections).Tcp.State;

    [Fact]
    public void Handshake_data_and_fin_teardown_follow_the_linux_state_machine()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 40000, 80, F.Syn, 1000, 0), commit: true));
        Assert.Equal(TcpState.SynSent, StateOf(h));
        // A retransmitted SYN before any reply is still +new.
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 40000, 80, F.Syn, 1000, 0)));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 5000, 1001)));
        Assert.Equal(TcpState.SynRecv, StateOf(h));
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, 1001, 5001)));
        Assert.Equal(TcpState.Established, StateOf(h));
        Assert.True(Assert.Single(h.Engine.Connections).Has(ConnStatus.Assured));
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack | F.Psh, 1001, 5001, "GET / HTTP/1.0\r\n\r\n")));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Ack | F.Psh, 5001, 1019, "HTTP/1.0 200 OK\r\n\r\n")));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Fin | F.Ack, 5020, 1019)));
        Assert.Equal(TcpState.FinWait, StateOf(h));
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, 1019, 5021)));
        Assert.Equal(TcpState.CloseWait, StateOf(h));
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Fin | F.Ack, 1019, 5021)));
        Assert.Equal(TcpState.LastAck, StateOf(h));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Ack, 5021, 1020)));
        Assert.Equal(TcpState.TimeWait, StateOf(h));
        // TIME_WAIT lasts 120 s.
        h.Advance(119);
        Assert.Equal(0, h.Engine.ExpireNow());
        h.Advance(2);
        Assert.Equal(1, h.Engine.ExpireNow());
        Assert.Empty(h.Engine.Connections);
    }

    [Fact]
    public void Rst_moves_to_close_and_expires_after_10_seconds()
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80);
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Rst | F.Ack, s, c)));
        Assert.Equal(TcpState.Close, StateOf(h));
        h.Advance(9);
        Assert.Single(h.Engine.Connections);
        h.Advance(2);
        h.Engine.ExpireNow();
        Assert.Empty(h.Engine.Connections);
    }

    [Fact]
    public void Rst_answering_an_unreplied_syn_deletes_the_entry()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 40000, 81, F.Syn, 1000, 0), commit: true));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 81, 40000, F.Rst | F.Ack, 0, 1001)));
        Assert.Empty(h.Engine.Connections);
    }

    [Theory]
    [InlineData(F.Syn | F.Fin)]
    [InlineData(F.Syn | F.Rst)]
    [InlineData(F.Fin)]
    [InlineData(0)]
    public void Bad_flag_combinations_are_invalid_and_do_not_move_state(byte flags)
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80);
        Assert.Equal("inv,trk", h.Ct(Tcp(A, B, 40000, 80, flags, c, s), commit: true));
        Assert.Equal(TcpState.Established, StateOf(h));
        Assert.Equal(0u, h.LastKey.CtMark);
        Assert.Equal(0u, h.LastKey.CtNwSrc);
    }

    [Fact]
    public void SynAck_fin_or_rst_without_an_entry_is_invalid_and_creates_nothing()
    {
        var h = new CtHarness();
        Assert.Equal("inv,trk", h.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 5000, 1001), commit: true));
        Assert.Equal("inv,trk", h.Ct(Tcp(B, A, 80, 40000, F.Fin | F.Ack, 5000, 1001), commit: true));
        Assert.Equal("inv,trk", h.Ct(Tcp(B, A, 80, 40000, F.Rst, 5000, 0), commit: true));
        Assert.Empty(h.Engine.Connections);
        Assert.Equal(3, h.Engine.Counters.Invalid);
    }

    [Fact]
    public void Midstream_ack_is_picked_up_when_loose()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, 777777, 888888, "x"), commit: true));
        var conn = Assert.Single(h.Engine.Connections);
        Assert.Equal(TcpState.Established, conn.Tcp.State);
        Assert.False(conn.Has(ConnStatus.Assured));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Ack, 888888, 777778)));
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, 777778, 888888)));
        Assert.True(conn.Has(ConnStatus.Assured));
    }

    [Fact]
    public void Midstream_pickup_without_reply_is_capped_at_the_unacknowledged_timeout()
    {
        var h = new CtHarness();
        h.Ct(Tcp(A, B, 40000, 80, F.Ack, 777777, 888888), commit: true);
        h.Advance(299);
        Assert.Equal(0, h.Engine.ExpireNow());
        h.Advance(2);
        Assert.Equal(1, h.Engine.ExpireNow());
    }

    [Fact]
    public void Midstream_ack_is_invalid_when_strict()
    {
        var h = new CtHarness(new ConntrackSettings { TcpLoose = false });
        Assert.Equal("inv,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, 777777, 888888), commit: true));
        Assert.Empty(h.Engine.Connections);
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 40000, 80, F.Syn, 1, 0), commit: true));
    }

    [Fact]
    public void SynAck_acking_the_wrong_sequence_is_invalid_before_establishment()
    {
        var h = new CtHarness();
        h.Ct(Tcp(A, B, 40000, 80, F.Syn, 1000, 0), commit: true);
        // Bound III: acks data never sent.
        Assert.Equal("inv,trk", h.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 5000, 9999)));
        Assert.Equal(TcpState.SynSent, StateOf(h));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 5000, 1001)));
    }

    [Fact]
    public void Out_of_window_segment_is_invalid_when_the_ovs_liberal_rule_is_off()
    {
        var h = new CtHarness(new ConntrackSettings { OvsLiberalEstablished = false });
        var (c, s) = h.Handshake(A, B, 40000, 80);
        // Bound I: far beyond what the receiver allowed.
        Assert.Equal("inv,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, c + 10_000_000, s, "x")));
        // Bound III: acks server data never sent.
        Assert.Equal("inv,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, c, s + 1_000_000)));
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, c, s, "ok")));
    }

    [Fact]
    public void Out_of_window_segment_on_an_established_entry_passes_under_ovs()
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80);
        var conn = Assert.Single(h.Engine.Connections);
        Assert.NotEqual(TcpPeerFlags.None, conn.Tcp.Orig.Flags & TcpPeerFlags.BeLiberal);
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, c + 10_000_000, s, "x")));
    }

    [Fact]
    public void Window_scale_from_both_syns_is_applied()
    {
        var h = new CtHarness(new ConntrackSettings { OvsLiberalEstablished = false });
        byte[] ws7 = { 1, 3, 3, 7 }; // NOP, window scale 7
        h.Ct(Tcp(A, B, 40000, 80, F.Syn, 1000, 0, window: 1000, options: ws7), commit: true);
        h.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 5000, 1001, window: 1000, options: ws7));
        // Server advertises 1000 << 7 = 128000 bytes: 100000 bytes ahead is inside the window.
        h.Ct(Tcp(B, A, 80, 40000, F.Ack, 5001, 1001, window: 1000));
        var conn = Assert.Single(h.Engine.Connections);
        Assert.Equal(7, conn.Tcp.Orig.Scale);
        Assert.Equal(7, conn.Tcp.Reply.Scale);
        Assert.Equal("est,trk", h.Ct(Tcp(A, B, 40000, 80, F.Ack, 1001 + 100_000, 5001, "x", window: 1000)));

        var h2 = new CtHarness(new ConntrackSettings { OvsLiberalEstablished = false });
        h2.Ct(Tcp(A, B, 40000, 80, F.Syn, 1000, 0, window: 1000, options: ws7), commit: true);
        h2.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 5000, 1001, window: 1000)); // server: no scaling
        h2.Ct(Tcp(B, A, 80, 40000, F.Ack, 5001, 1001, window: 1000));
        Assert.Equal("inv,trk", h2.Ct(Tcp(A, B, 40000, 80, F.Ack, 1001 + 100_000, 5001, "x", window: 1000)));
    }

    [Fact]
    public void Syn_on_time_wait_after_fin_reopens_as_a_new_connection()
    {
        var h = new CtHarness();
        var (c, s) = h.Handshake(A, B, 40000, 80);
        h.Ct(Tcp(A, B, 40000, 80, F.Fin | F.Ack, c, s));
        h.Ct(Tcp(B, A, 80, 40000, F.Fin | F.Ack, s, c + 1));
        h.Ct(Tcp(A, B, 40000, 80, F.Ack, c + 1, s + 1));
        Assert.Equal(TcpState.TimeWait, StateOf(h));
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 40000, 80, F.Syn, 90000, 0)));
        Assert.Empty(h.Engine.Connections);
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 40000, 80, F.Syn, 90000, 0), commit: true));
        Assert.Equal(TcpState.SynSent, StateOf(h));
    }

    [Fact]
    public void Simultaneous_open_goes_through_syn_sent2()
    {
        var h = new CtHarness();
        h.Ct(Tcp(A, B, 40000, 80, F.Syn, 1000, 0), commit: true);
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Syn, 5000, 0)));
        Assert.Equal(TcpState.SynSent2, StateOf(h));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(B, A, 80, 40000, F.Syn | F.Ack, 5000, 1001)));
        Assert.Equal(TcpState.SynRecv, StateOf(h));
    }

    [Fact]
    public void Tcp_over_ipv6_tracks_and_reports_the_original_tuple()
    {
        var h = new CtHarness();
        Assert.Equal("new,trk", h.Ct(Tcp6("2001:db8::1", "2001:db8::2", 4000, 22, F.Syn, 1, 0), commit: true));
        Assert.Equal("est,rpl,trk", h.Ct(Tcp6("2001:db8::2", "2001:db8::1", 22, 4000, F.Syn | F.Ack, 9, 2)));
        Assert.Equal(F.Ip6("2001:db8::1"), h.LastKey.CtIpv6Src);
        Assert.Equal(F.Ip6("2001:db8::2"), h.LastKey.CtIpv6Dst);
        Assert.Equal((ushort)4000, h.LastKey.CtTpSrc);
        Assert.Equal((ushort)22, h.LastKey.CtTpDst);
        Assert.Equal(6, h.LastKey.CtNwProto);
    }

    [Fact]
    public void Bad_tcp_checksum_is_invalid()
    {
        var h = new CtHarness();
        var f = Tcp(A, B, 40000, 80, F.Syn, 1000, 0);
        f[14 + 20 + 16] ^= 0xff;
        Assert.Equal("inv,trk", h.Ct(f, commit: true));
    }
}
