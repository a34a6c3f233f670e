using Xunit;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using F = Switch.Core.Packets.FrameBuilder;
using static Switch.Tests.Conntrack.CtHarness;

namespace Switch.Tests.Conntrack;

[Trait("Category", Tiers.Unit)]
public class ConntrackReassemblyTests
{
    /// <summary>A UDP datagram A:5000 -> B:53 with <paramref name="size"/> payload bytes, as one frame.</summary>
    private static byte[] Whole(int size, ushort id = 0x1234) =>
        F.Eth(F.MacB, F.MacA, EtherTypes.Ipv4, F.Ipv4(F.Ip(A), F.Ip(B), IpProtos.Udp, F.Udp(5000, 53, Payload(size)), id: id));

    private static byte[] Payload(int size)
    {
        var b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte)(i * 7 + 3);
        return b;
    }

    /// <summary>IPv4 fragment of the L4 bytes [ofs, ofs+len) of <paramref name="whole"/>.</summary>
    private static byte[] Frag(byte[] whole, int ofs, int len, bool more, ushort id = 0x1234)
    {
        var l4 = whole.AsSpan(14 + 20).ToArray();
        return F.Eth(F.MacB, F.MacA, EtherTypes.Ipv4,
            F.Ipv4(F.Ip(A), F.Ip(B), IpProtos.Udp, l4.AsSpan(ofs, len), id: id, fragOffset: ofs, mf: more, fillL4Checksum: false));
    }

    [Fact]
    public void In_order_fragments_are_stolen_then_the_whole_datagram_is_tracked()
    {
        var h = new CtHarness();
        var whole = Whole(2000);
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 0, 1480, true), commit: true));
        Assert.Equal("new,trk", h.Ct(Frag(whole, 1480, 528, false), commit: true));
        Assert.Equal(whole, h.LastPacket!.Span.ToArray());
        Assert.Equal(1500, h.LastPacket.Mru);
        Assert.Equal(0, h.LastKey.NwFrag);
        Assert.Equal((ushort)53, h.LastKey.TpDst);
        Assert.Equal(1u, h.LastKey.InPort);
        Assert.Single(h.Engine.Connections);
        Assert.Equal(1, h.Engine.Counters.ReassembledDatagrams);
        Assert.Equal(0, h.Engine.Counters.FragmentsHeld);
    }

    [Fact]
    public void Out_of_order_fragments_reassemble_and_keep_registers()
    {
        var h = new CtHarness();
        var whole = Whole(3000);
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 2000, 1008, false)));
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 1000, 1000, true)));
        var p = Packet.From(Frag(whole, 0, 1000, true), 7);
        var k = default(FlowKey);
        PacketParser.Parse(p.Span, 7, ref k);
        k.SetReg(2, 0xabcdef);
        k.Metadata = 99;
        k.TunId = 5;
        var o = h.Engine.Execute(ref p, ref k, new CtRequest(0));
        Assert.Equal(CtVerdict.Continue, o.Verdict);
        Assert.Equal(whole, p.Span.ToArray());
        Assert.Equal(20 + 1008, p.Mru);
        Assert.Equal(0xabcdefu, k.GetReg(2));
        Assert.Equal(99ul, k.Metadata);
        Assert.Equal(5ul, k.TunId);
        Assert.Equal(7u, k.InPort);
        Assert.Equal(St("new,trk"), k.CtState);
    }

    [Fact]
    public void Overlapping_fragment_drops_the_whole_datagram()
    {
        var h = new CtHarness();
        var whole = Whole(2000);
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 0, 1000, true)));
        Assert.Equal("DROP:frag_overlap", h.Ct(Frag(whole, 992, 1016, false)));
        Assert.Equal(1, h.Engine.Counters.FragmentsDiscarded);
        // The datagram is gone: the rest alone does not complete it.
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 1000, 1008, false)));
        Assert.Equal(1, h.Engine.Counters.DropCount(CtDropReasons.FragOverlap));
    }

    [Fact]
    public void Duplicate_fragment_is_dropped_and_the_datagram_still_completes()
    {
        var h = new CtHarness();
        var whole = Whole(2000);
        h.Ct(Frag(whole, 0, 1000, true));
        Assert.Equal("DROP:frag_duplicate", h.Ct(Frag(whole, 0, 1000, true)));
        Assert.Equal("new,trk", h.Ct(Frag(whole, 1000, 1008, false)));
    }

    [Fact]
    public void Too_many_fragments_discard_the_datagram()
    {
        var h = new CtHarness(new ConntrackSettings { MaxFragmentsPerDatagram = 3 });
        var whole = Whole(400);
        h.Ct(Frag(whole, 0, 96, true));
        h.Ct(Frag(whole, 96, 96, true));
        h.Ct(Frag(whole, 192, 96, true));
        Assert.Equal("DROP:frag_too_many", h.Ct(Frag(whole, 288, 120, false)));
        Assert.Equal(3, h.Engine.Counters.FragmentsDiscarded);
    }

    [Fact]
    public void Incomplete_datagram_times_out_after_30_seconds()
    {
        var h = new CtHarness();
        var whole = Whole(2000);
        h.Ct(Frag(whole, 0, 1000, true));
        h.Advance(31);
        h.Engine.ExpireNow();
        Assert.Equal(1, h.Engine.Counters.DropCount(CtDropReasons.FragTimeout));
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 1000, 1008, false)));
    }

    [Fact]
    public void Limits_on_datagrams_and_bytes_refuse_fragments()
    {
        var h = new CtHarness(new ConntrackSettings { MaxDatagramsInProgress = 1 });
        h.Ct(Frag(Whole(2000, 1), 0, 1000, true, 1));
        Assert.Equal("DROP:frag_queue_limit", h.Ct(Frag(Whole(2000, 2), 0, 1000, true, 2)));
        Assert.Equal("new,trk", h.Ct(Frag(Whole(2000, 1), 1000, 1008, false, 1)));

        var m = new CtHarness(new ConntrackSettings { MaxFragmentBytes = 1500 });
        m.Ct(Frag(Whole(2000, 1), 0, 1000, true, 1));
        Assert.Equal("DROP:frag_memory_limit", m.Ct(Frag(Whole(2000, 1), 1000, 1008, false, 1)));
        Assert.Equal(1, m.Engine.Counters.DropCount(CtDropReasons.FragMemory));
    }

    [Fact]
    public void Fragments_in_different_zones_do_not_meet()
    {
        var h = new CtHarness();
        var whole = Whole(2000);
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 0, 1000, true), zone: 1));
        Assert.Equal("STOLEN", h.Ct(Frag(whole, 1000, 1008, false), zone: 2));
        Assert.Equal("new,trk", h.Ct(Frag(whole, 0, 1000, true), zone: 2));
    }

    [Fact]
    public void Ipv6_fragments_are_reassembled_without_the_fragment_header()
    {
        var h = new CtHarness();
        UInt128 s = F.Ip6("2001:db8::1"), d = F.Ip6("2001:db8::2");
        var udp = F.WithIpv6L4Checksum(s, d, IpProtos.Udp, F.Udp(5000, 53, Payload(1800)));
        var whole = F.Eth(F.MacB, F.MacA, EtherTypes.Ipv6, F.Ipv6(s, d, IpProtos.Udp, udp, fillL4Checksum: false));
        byte[] Fr(int ofs, int len, bool more) => F.Eth(F.MacB, F.MacA, EtherTypes.Ipv6,
            F.Ipv6(s, d, IpProtos.Fragment, F.Ipv6Fragment(IpProtos.Udp, ofs, more, 0xdead, udp.AsSpan(ofs, len)), fillL4Checksum: false));
        Assert.Equal("STOLEN", h.Ct(Fr(1232, udp.Length - 1232, false), commit: true));
        Assert.Equal("new,trk", h.Ct(Fr(0, 1232, true), commit: true));
        Assert.Equal(whole, h.LastPacket!.Span.ToArray());
        Assert.Equal(40 + 8 + 1232, h.LastPacket.Mru);
        Assert.Equal("udp,orig=(src=2001:db8::1,dst=2001:db8::2,sport=5000,dport=53),reply=(src=2001:db8::2,dst=2001:db8::1,sport=53,dport=5000)",
            Assert.Single(h.Engine.DumpConntrack()));
    }

    [Fact]
    public void Refragmenter_splits_ipv4_into_aligned_pieces_that_reassemble_to_the_original()
    {
        var whole = Whole(3000);
        var p = Packet.From(whole);
        var output = new List<Packet>();
        Assert.True(Refragmenter.Fragment(p, 1000, output));
        Assert.Equal(new[] { 14 + 996, 14 + 996, 14 + 996, 14 + 20 + 8 + 3000 - 3 * 976 }, output.Select(x => x.Length));
        foreach (var f in output)
        {
            var k = default(FlowKey);
            Assert.Equal(ParseResult.Ok, PacketParser.Parse(f.Span, 0, ref k));
            Assert.True(k.L3Len <= 1000);
            Assert.Equal(0, Checksum.Fold(Checksum.Sum(f.Span.Slice(14, 20))));
            Assert.Equal(0x1234, (f.Span[18] << 8) | f.Span[19]);
        }
        var h = new CtHarness();
        string? last = null;
        foreach (var f in output) last = h.Ct(f.Span.ToArray());
        Assert.Equal("new,trk", last);
        Assert.Equal(whole, h.LastPacket!.Span.ToArray());
        Assert.Equal(996, h.LastPacket.Mru);
    }

    [Fact]
    public void Refragmenter_adds_an_ipv6_fragment_header_and_round_trips()
    {
        UInt128 s = F.Ip6("2001:db8::1"), d = F.Ip6("2001:db8::2");
        var whole = F.Eth(F.MacB, F.MacA, EtherTypes.Ipv6, F.Ipv6(s, d, IpProtos.Udp, F.Udp(5000, 53, Payload(3000))));
        var output = new List<Packet>();
        Assert.True(Refragmenter.Fragment(Packet.From(whole), 1280, output));
        Assert.Equal(3, output.Count);
        Assert.All(output, f => Assert.True(f.Length - 14 <= 1280));
        Assert.Equal(14 + 40 + 8 + 1232, output[0].Length);
        var h = new CtHarness();
        string? last = null;
        foreach (var f in output) last = h.Ct(f.Span.ToArray());
        Assert.Equal("new,trk", last);
        Assert.Equal(whole, h.LastPacket!.Span.ToArray());
    }

    [Fact]
    public void Refragmenter_leaves_small_and_non_ip_packets_alone()
    {
        var output = new List<Packet>();
        var small = Packet.From(Whole(100));
        Assert.True(Refragmenter.Fragment(small, 1500, output));
        Assert.Same(small, Assert.Single(output));
        var arp = Packet.From(F.Eth(F.MacB, F.MacA, EtherTypes.Arp, F.Arp(1, F.MacA, F.Ip(A), 0, F.Ip(B))));
        Assert.False(Refragmenter.Fragment(arp, 100, output));
        Assert.False(Refragmenter.Fragment(Packet.From(Whole(3000)), 24, output));
    }
}
