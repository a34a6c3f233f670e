using System.Buffers.Binary;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;
using Dp = Switch.Core.Datapath.Datapath;

namespace Switch.Tests.Datapath;

[Trait("Category", Tiers.Unit)]
public class PipelineTests
{
    private readonly ManualClock _clock = new(1_000_000);
    private readonly Dp _dp;
    private readonly Dictionary<uint, InMemoryPort> _ports = new();

    public PipelineTests()
    {
        _dp = new Dp(null, _clock);
        foreach (uint p in new uint[] { 1, 2, 3, 4 }) { _ports[p] = new InMemoryPort(p); _dp.AddPort(_ports[p]); }
    }

    private void Flows(params string[] flows) { foreach (var f in flows) _dp.AddFlow(FlowParser.Parse(f)); }
    private PacketTrace Send(byte[] frame, uint inPort) { var t = new PacketTrace(); _dp.Receive(Packet.From(frame, inPort), t); return t; }
    private byte[] Out(uint port) => Assert.Single(_ports[port].Sent).Data;

    /// <summary>Checks every checksum a receiver would: IPv4 header and TCP/UDP/ICMP.</summary>
    internal static void AssertChecksumsValid(byte[] frame)
    {
        var k = new FlowKey();
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(frame, 0, ref k));
        var f = frame.AsSpan();
        if (k.IsIpv4)
        {
            int ihl = (f[k.L3Ofs] & 0xf) * 4;
            Assert.Equal(0, Checksum.Fold(Checksum.Sum(f.Slice(k.L3Ofs, ihl))));
        }
        if (k.L4Ofs < 0 || k.NwFrag != 0) return;
        var l4 = f[k.L4Ofs..(k.L3Ofs + k.L3Len)];
        uint pseudo = k.IsIpv4 ? Checksum.PseudoV4(k.NwSrc, k.NwDst, k.NwProto, l4.Length) : Checksum.PseudoV6(k.Ipv6Src, k.Ipv6Dst, k.NwProto, l4.Length);
        uint sum = k.NwProto == IpProtos.Icmp ? Checksum.Sum(l4) : Checksum.Sum(l4, pseudo);
        Assert.Equal(0, Checksum.Fold(sum));
    }

    [Fact]
    public void Output_in_port_flood_all_and_table_miss()
    {
        Flows("priority=10,in_port=1 actions=output:2,output:1",
              "priority=10,in_port=2 actions=IN_PORT",
              "priority=10,in_port=3 actions=FLOOD",
              "priority=10,in_port=4,udp actions=ALL");
        var frame = UdpV4("10.0.0.1", "10.0.0.2", 1, 2, "x"u8);
        Send(frame, 1);
        Assert.Equal(frame, Out(2));
        Assert.Empty(_ports[1].Sent); // output to the input port is dropped (OpenFlow)
        Send(frame, 2);
        Assert.Equal(2, _ports[2].Sent.Count);
        Send(frame, 3);
        Assert.Equal(new[] { 1, 3, 0, 1 }, new uint[] { 1, 2, 3, 4 }.Select(p => _ports[p].Sent.Count).ToArray());
        var t = Send(TcpV4("10.0.0.1", "10.0.0.2", 1, 2, Syn), 4);
        Assert.Equal("table_miss:0", t.DropReason);
        Assert.Equal(1, _dp.Counters.Drops["table_miss:0"]);
    }

    [Fact]
    public void Flood_excludes_in_port()
    {
        Flows("actions=FLOOD");
        Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 3);
        Assert.Equal(new[] { 1, 1, 0, 1 }, new uint[] { 1, 2, 3, 4 }.Select(p => _ports[p].Sent.Count).ToArray());
    }

    [Fact]
    public void Normal_learns_macs_per_vlan_and_ages_them()
    {
        Flows("actions=NORMAL");
        ulong a = Mac("02:00:00:00:00:0a"), b = Mac("02:00:00:00:00:0b");
        Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2, dlSrc: a, dlDst: b), 1); // b unknown: flood
        Assert.Equal(new[] { 0, 1, 1, 1 }, new uint[] { 1, 2, 3, 4 }.Select(p => _ports[p].Sent.Count).ToArray());
        Send(UdpV4("10.0.0.2", "10.0.0.1", 2, 1, dlSrc: b, dlDst: a), 2); // a learned on port 1
        Assert.Equal(1, _ports[1].Sent.Count);
        Assert.Equal(1, _ports[3].Sent.Count);
        Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2, dlSrc: a, dlDst: b), 1); // b learned on port 2
        Assert.Equal(2, _ports[2].Sent.Count);
        Assert.Equal(1, _ports[3].Sent.Count);
        // Same MAC on VLAN 5 is unknown there: flooded.
        var tagged = Eth(b, a, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, Udp(1, 2, default)), 5);
        Send(tagged, 1);
        Assert.Equal(2, _ports[3].Sent.Count);
        // After aging (300 s) b is forgotten again.
        _clock.Advance(TimeSpan.FromSeconds(301));
        Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2, dlSrc: a, dlDst: b), 1);
        Assert.Equal(3, _ports[3].Sent.Count);
    }

    [Fact]
    public void Set_field_rewrites_headers_with_valid_checksums()
    {
        Flows("tcp actions=mod_nw_src:192.168.1.1,mod_nw_dst:192.168.1.2,mod_tp_src:1111,mod_tp_dst:2222,mod_nw_tos:32,dec_ttl,mod_dl_src:02:00:00:00:00:01,output:2",
              "udp actions=set_field:172.16.0.9->nw_dst,set_field:99->tp_dst,output:3",
              "icmp actions=set_field:0->icmp_type,output:4",
              "tcp6 actions=set_field:2001:db8::99->ipv6_dst,set_field:8080->tp_dst,output:3");
        Send(TcpV4("10.0.0.1", "10.0.0.2", 1234, 80, Psh | Ack, 1, 1, "data"u8), 1);
        var o = Out(2);
        AssertChecksumsValid(o);
        var k = new FlowKey();
        PacketParser.Parse(o, 2, ref k);
        Assert.Equal((Ip("192.168.1.1"), Ip("192.168.1.2"), (ushort)1111, (ushort)2222, (byte)32, (byte)63, Mac("02:00:00:00:00:01")),
            (k.NwSrc, k.NwDst, k.TpSrc, k.TpDst, k.NwTos, k.NwTtl, k.DlSrc));
        Send(UdpV4("10.0.0.1", "10.0.0.2", 5, 6, "hello"u8), 1);
        AssertChecksumsValid(Out(3));
        Send(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Icmp, Icmp(8, 0, 0x10001, "ping"u8))), 1);
        var icmp = Out(4);
        AssertChecksumsValid(icmp);
        Assert.Equal(0, icmp[34]);
        _ports[3].Clear();
        Send(TcpV6("2001:db8::1", "2001:db8::2", 1, 80, Syn), 1);
        var v6 = Out(3);
        AssertChecksumsValid(v6);
        PacketParser.Parse(v6, 3, ref k);
        Assert.Equal((Ip6("2001:db8::99"), (ushort)8080), (k.Ipv6Dst, k.TpDst));
    }

    [Fact]
    public void Vlan_push_modify_strip()
    {
        Flows("in_port=1 actions=mod_vlan_vid:10,mod_vlan_pcp:5,output:2",
              "in_port=2,dl_vlan=10 actions=strip_vlan,output:3",
              "in_port=3 actions=push_vlan:0x8100,mod_vlan_vid:7,output:4");
        var frame = UdpV4("10.0.0.1", "10.0.0.2", 1, 2, "vlan"u8);
        Send(frame, 1);
        var tagged = Out(2);
        Assert.Equal(frame.Length + 4, tagged.Length);
        Assert.Equal(0x8100, BinaryPrimitives.ReadUInt16BigEndian(tagged.AsSpan(12)));
        Assert.Equal((5 << 13) | 10, BinaryPrimitives.ReadUInt16BigEndian(tagged.AsSpan(14)));
        Send(tagged, 2);
        Assert.Equal(frame, Out(3));
        Send(frame, 3);
        var k = new FlowKey();
        PacketParser.Parse(Out(4), 4, ref k);
        Assert.Equal(0x1000 | 7, k.VlanTci);
        AssertChecksumsValid(Out(4));
    }

    [Fact]
    public void Resubmit_goto_registers_load_move_and_counters()
    {
        Flows("table=0,priority=10,ip actions=load:0x2->NXM_NX_REG0[0..15],resubmit(,1),goto_table:2",
              "table=1,priority=10,reg0=2 actions=move:NXM_NX_REG0[0..15]->NXM_NX_REG1[0..15]",
              "table=2,priority=10,reg1=2 actions=output:NXM_NX_REG1[0..15]");
        var t = Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        Assert.Single(_ports[2].Sent);
        Assert.Equal(new byte[] { 0, 1, 2 }, t.Tables.Select(s => s.Table).ToArray());
        var flows = _dp.Tables.All.SelectMany(x => x.Flows).ToList();
        Assert.All(flows, f => Assert.Equal(1, f.NPackets));
        Assert.Equal(3, _dp.Counters.Tables.Count);
    }

    [Fact]
    public void Resubmit_loop_is_cut_at_the_depth_limit()
    {
        Flows("actions=resubmit(,0)");
        var t = Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        Assert.Equal("resubmit_depth_exceeded", t.DropReason);
    }

    [Fact]
    public void Resubmits_that_fan_out_are_cut_at_4096_per_packet()
    {
        // Regression (issue 12): each table resubmits twice to the next, so a packet's work doubled per table; at
        // depth 28 one packet took 17.9 s. OVS bounds the total (MAX_RESUBMITS = 4096) and so does the datapath.
        Flows(Enumerable.Range(0, 30).Select(k => $"table={k} actions=resubmit(,{k + 1}),resubmit(,{k + 1})")
            .Append("table=30 actions=output:2").ToArray());
        var t = Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        Assert.Equal("resubmit_limit_exceeded", t.DropReason);
        Assert.Equal(1, _dp.Counters.Drops["resubmit_limit_exceeded"]);
        // Table 0 plus 4 096 resubmits were looked up, no more.
        Assert.Equal(4097, t.Tables.Count);
        Assert.Equal(4097, _dp.Counters.Tables.Values.Sum(c => c.Lookups));
    }

    [Fact]
    public void Resubmits_below_the_limit_all_run()
    {
        // 2 + 4 + ... + 2^11 = 4094 resubmits: within the bound, every leaf outputs.
        Flows(Enumerable.Range(0, 11).Select(k => $"table={k} actions=resubmit(,{k + 1}),resubmit(,{k + 1})")
            .Append("table=11 actions=output:2").ToArray());
        var t = Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        Assert.Null(t.DropReason);
        Assert.Equal(2048, _ports[2].Sent.Count);
    }

    [Fact]
    public void Dec_ttl_drops_expiring_packets()
    {
        Flows("ip actions=dec_ttl,output:2");
        Send(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, Udp(1, 2, default), ttl: 1)), 1);
        Assert.Empty(_ports[2].Sent);
        Assert.Equal(1, _dp.Counters.Drops["ttl_exceeded"]);
    }

    [Fact]
    public void Malformed_frames_are_counted_and_dropped()
    {
        Flows("actions=output:2");
        Send(new byte[10], 1);
        var bad = UdpV4("10.0.0.1", "10.0.0.2", 1, 2);
        bad[14] = 0x41; // IHL 1
        Send(bad, 1);
        Assert.Empty(_ports[2].Sent);
        Assert.Equal(1, _dp.Counters.Drops["malformed:TruncatedEthernet"]);
        Assert.Equal(1, _dp.Counters.Drops["malformed:BadIpv4Header"]);
        Assert.Equal(2, _dp.Counters.Port(1).Dropped);
    }

    [Fact]
    public void Ct_without_a_conntrack_service_is_a_counted_drop()
    {
        Flows("ip actions=ct(commit),output:2");
        Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        Assert.Equal(1, _dp.Counters.Drops["ct_unavailable"]);
    }

    /// <summary>Regression (issue 12): output to a port that is not configured made an in-memory port keeping copies of
    /// every frame sent there. It is a counted drop now, and no port appears.</summary>
    [Fact]
    public void Output_to_an_unconfigured_port_is_a_counted_drop_and_makes_no_port()
    {
        Flows("table=0,priority=1,ip actions=output:9,output:2");
        var t = Send(TcpV4("10.0.0.1", "10.0.0.2", 1, 2, Syn), 1);
        Assert.Equal(new uint[] { 2 }, t.Outputs);
        Assert.Equal(1, _dp.Counters.Drops["no_such_port"]);
        Assert.False(_dp.Ports.ContainsKey(9));
    }
}
