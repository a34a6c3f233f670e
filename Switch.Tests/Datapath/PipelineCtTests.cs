using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;
using Dp = Switch.Core.Datapath.Datapath;

namespace Switch.Tests.Datapath;

/// <summary>The ct action through the whole pipeline with the in-process engine: what flows see after recirculation.</summary>
[Trait("Category", Tiers.Unit)]
public class PipelineCtTests
{
    private readonly ManualClock _clock = new(1_000_000_000);
    private readonly Dp _dp;
    private readonly ConntrackEngine _ct;
    private readonly Dictionary<uint, InMemoryPort> _ports = new();

    public PipelineCtTests()
    {
        _ct = new ConntrackEngine(_clock);
        _dp = new Dp(_ct, _clock);
        foreach (uint p in new uint[] { 1, 2, 3, 4, 5 })
        {
            _ports[p] = new InMemoryPort(p, mtu: p == 5 ? 1000 : 0);
            _dp.AddPort(_ports[p]);
        }
    }

    private void Flows(params string[] flows) { foreach (var f in flows) _dp.AddFlow(FlowParser.Parse(f)); }
    private PacketTrace Send(byte[] frame, uint inPort) { var t = new PacketTrace(); _dp.Receive(Packet.From(frame, inPort), t); return t; }
    private static string State(PacketTrace t) => CtStateBits.Format(t.Ct[^1].State);

    [Fact]
    public void Recirculated_packet_sees_ct_state_zone_and_original_tuple()
    {
        Flows("table=0,priority=10,ip actions=ct(table=1,zone=7)",
              "table=1,priority=20,ip,ct_state=+trk+new,ct_zone=7 actions=ct(commit,zone=7),output:2",
              "table=1,priority=20,ip,ct_state=+trk+est-rpl,ct_zone=7 actions=output:2",
              "table=1,priority=20,tcp,ct_state=+trk+est+rpl,ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_nw_proto=6,ct_tp_src=40000,ct_tp_dst=80 actions=output:1",
              "table=1,priority=5 actions=output:3");
        Assert.Equal("+new+trk", State(Send(TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 100), 1)));
        Assert.Equal("+est+rpl+trk", State(Send(TcpV4("10.0.0.2", "10.0.0.1", 80, 40000, Syn | Ack, 500, 101), 2)));
        Assert.Equal("+est+trk", State(Send(TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Ack, 101, 501), 1)));
        Assert.Equal(2, _ports[2].Sent.Count);
        Assert.Single(_ports[1].Sent);   // the reply matched on the original-direction tuple fields
        Assert.Empty(_ports[3].Sent);
    }

    [Fact]
    public void Uncommitted_packets_are_new_every_time_and_zones_separate_tuples()
    {
        Flows("table=0,in_port=1,ip actions=ct(table=1,zone=1)",
              "table=0,in_port=2,ip actions=ct(table=1,zone=2)",
              "table=1,in_port=1,ip,ct_state=+new actions=ct(commit,zone=1),output:3",
              "table=1,ip,ct_state=+est actions=output:4",
              "table=1,priority=1,ip actions=output:5");
        var q = UdpV4("10.0.0.1", "10.0.0.2", 1000, 53, "q"u8);
        var r = UdpV4("10.0.0.2", "10.0.0.1", 53, 1000, "r"u8);
        Assert.Equal("+new+trk", State(Send(q, 1)));
        // The reply enters zone 2, where nothing was committed: still new.
        Assert.Equal("+new+trk", State(Send(r, 2)));
        Assert.Equal("+new+trk", State(Send(r, 2)));
        Assert.EndsWith(",zone=1", Assert.Single(_ct.DumpConntrack(1)));
        Assert.Empty(_ct.DumpConntrack(2));
    }

    [Fact]
    public void Zone_from_register_and_mark_label_set_by_exec_then_matched()
    {
        Flows("table=0,ip actions=load:0x9->NXM_NX_REG0[0..15],ct(table=1,zone=NXM_NX_REG0[0..15])",
              "table=1,ip,ct_state=+new,ct_zone=9 actions=ct(commit,zone=9,exec(set_field:0x5/0xf->ct_mark,set_field:0xabc->ct_label)),output:2",
              "table=1,ip,ct_state=+est,ct_mark=0x5/0xf,ct_label=0xabc actions=output:3");
        var t = Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        Assert.Equal(9, t.Ct[^1].Zone);
        Send(UdpV4("10.0.0.2", "10.0.0.1", 2, 1), 2);
        Assert.Single(_ports[2].Sent);
        Assert.Single(_ports[3].Sent);
        var entry = Assert.Single(_ct.DumpConntrack(9));
        Assert.Contains("zone=9,mark=5,labels=0xabc", entry);
    }

    [Fact]
    public void Ct_clear_makes_the_packet_untracked_again()
    {
        Flows("table=0,ip actions=ct(table=1)",
              "table=1,ip,ct_state=+trk actions=ct_clear,resubmit(,2)",
              "table=2,ip,ct_state=-trk,ct_zone=0 actions=output:2",
              "table=2,priority=1,ip actions=output:3");
        Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        Assert.Single(_ports[2].Sent);
        Assert.Empty(_ports[3].Sent);
    }

    [Fact]
    public void Force_restarts_a_connection_seen_in_the_other_direction()
    {
        Flows("table=0,in_port=1,ip actions=ct(commit,table=1)",
              "table=0,in_port=2,ip actions=ct(commit,force,table=1)",
              "table=1,ip actions=output:3");
        Send(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1);
        // Without force this would be the reply (+est+rpl); force tears the entry down and commits anew.
        var t = Send(UdpV4("10.0.0.2", "10.0.0.1", 2, 1), 2);
        Assert.Equal("+new+trk", State(t));
        Assert.Contains("orig=(src=10.0.0.2,dst=10.0.0.1,sport=2,dport=1)", Assert.Single(_ct.DumpConntrack()));
    }

    [Fact]
    public void Invalid_carries_only_tracked_and_is_dropped_by_the_firewall_rule()
    {
        Flows("table=0,ip actions=ct(table=1)",
              "table=1,ct_state=+inv+trk,ip actions=drop",
              "table=1,priority=1,ip actions=output:2");
        var t = Send(TcpV4("10.0.0.2", "10.0.0.1", 80, 1234, Syn | Ack, 1, 1), 2);
        Assert.Equal(CtStateBits.Invalid | CtStateBits.Tracked, t.Ct[^1].State);
        Assert.Empty(_ports[2].Sent);
        Assert.Equal("drop_action", t.DropReason);
    }

    [Fact]
    public void Reassembled_datagram_is_refragmented_to_its_mru_or_dropped_when_mru_exceeds_mtu()
    {
        Flows("table=0,ip actions=ct(table=1)",
              "table=1,in_port=1,ip actions=output:2,output:5");
        var big = new byte[2000];
        var whole = Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, Udp(1, 2, big), id: 77);
        var l4 = whole.AsSpan(20).ToArray();
        var frags = new List<byte[]>();
        for (int ofs = 0; ofs < l4.Length; ofs += 1200)
        {
            int n = Math.Min(1200, l4.Length - ofs);
            frags.Add(Eth(MacB, MacA, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, l4.AsSpan(ofs, n),
                id: 77, fragOffset: ofs, mf: ofs + n < l4.Length, fillL4Checksum: false)));
        }
        // Out of order: the last fragment first.
        Assert.Equal(CtVerdict.Stolen.ToString(), Send(frags[1], 1).Ct[^1].Verdict);
        var t = Send(frags[0], 1);
        Assert.Equal(frags, _ports[2].Sent.Select(s => s.Data));
        Assert.Empty(_ports[5].Sent); // MRU 1220 > port 5's MTU 1000
        Assert.Equal(1, _dp.Counters.Drops["mru_exceeds_mtu"]);
        Assert.Equal("+new+trk", State(t));
    }
}
