using Switch.Core.Datapath;
using Switch.Core.Packets;
using Xunit;

namespace Switch.Tests.Datapath;

[Trait("Category", Tiers.Unit)]
public class FlowTablesTests
{
    private static FlowKey Key(byte[] frame, uint inPort = 1)
    {
        var k = new FlowKey();
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(frame, inPort, ref k));
        return k;
    }

    [Fact]
    public void Lookup_picks_highest_priority_across_masks()
    {
        var t = new FlowTable(0);
        var low = FlowParser.Parse("priority=1 actions=output:9");
        var net = FlowParser.Parse("priority=50,ip,nw_dst=10.0.0.0/8 actions=output:8");
        var host = FlowParser.Parse("priority=100,tcp,nw_dst=10.0.0.2,tp_dst=80 actions=output:7");
        foreach (var f in new[] { low, net, host }) t.Add(f);
        Assert.Same(host, t.Lookup(Key(FrameBuilder.TcpV4("10.0.0.1", "10.0.0.2", 1, 80, FrameBuilder.Syn))));
        Assert.Same(net, t.Lookup(Key(FrameBuilder.TcpV4("10.0.0.1", "10.0.0.2", 1, 81, FrameBuilder.Syn))));
        Assert.Same(low, t.Lookup(Key(FrameBuilder.TcpV4("10.0.0.1", "11.0.0.2", 1, 80, FrameBuilder.Syn))));
        t.Remove(low);
        Assert.Null(t.Lookup(Key(FrameBuilder.TcpV4("10.0.0.1", "11.0.0.2", 1, 80, FrameBuilder.Syn))));
    }

    [Fact]
    public void Tuple_space_agrees_with_linear_scan_on_random_flows()
    {
        var rnd = new Random(7);
        var t = new FlowTable(0);
        var flows = new List<Flow>();
        for (int i = 0; i < 400; i++)
        {
            string text = rnd.Next(4) switch
            {
                0 => $"priority={rnd.Next(1000)},tcp,nw_src=10.0.{rnd.Next(4)}.0/24,tp_dst={rnd.Next(4)} actions=output:1",
                1 => $"priority={rnd.Next(1000)},ip,nw_dst=10.0.0.{rnd.Next(8)} actions=output:2",
                2 => $"priority={rnd.Next(1000)},udp,tp_src={rnd.Next(4)} actions=output:3",
                _ => $"priority={rnd.Next(1000)},in_port={rnd.Next(3)} actions=output:4",
            };
            var f = FlowParser.Parse(text);
            var replaced = t.Add(f);
            if (replaced is not null) flows.Remove(replaced);
            flows.Add(f);
        }
        for (int i = 0; i < 2000; i++)
        {
            var src = $"10.0.{rnd.Next(5)}.{rnd.Next(3)}";
            var dst = $"10.0.0.{rnd.Next(9)}";
            var frame = rnd.Next(2) == 0 ? FrameBuilder.TcpV4(src, dst, (ushort)rnd.Next(4), (ushort)rnd.Next(5), FrameBuilder.Ack)
                                         : FrameBuilder.UdpV4(src, dst, (ushort)rnd.Next(5), (ushort)rnd.Next(4));
            var k = Key(frame, (uint)rnd.Next(3));
            var expectPrio = flows.Where(f => f.Match.Matches(k)).Select(f => (int?)f.Priority).Max();
            var got = t.Lookup(k);
            Assert.Equal(expectPrio, got?.Priority);
            if (got is not null) Assert.True(got.Match.Matches(k));
        }
    }

    [Fact]
    public void Add_replaces_same_match_and_priority_and_del_flows_strict_vs_loose()
    {
        var tables = new FlowTables();
        tables.Add(FlowParser.Parse("priority=10,tcp,tp_dst=80 actions=output:1"), 0);
        tables.Add(FlowParser.Parse("priority=10,tcp,tp_dst=80 actions=output:2"), 0);
        tables.Add(FlowParser.Parse("priority=20,tcp,tp_dst=80 actions=output:3"), 0);
        tables.Add(FlowParser.Parse("table=1,priority=10,udp actions=output:4"), 0);
        Assert.Equal(3, tables.FlowCount);
        Assert.Equal("output:2", tables[0]!.FindStrict(FlowParser.Parse("priority=10,tcp,tp_dst=80 actions=drop").Match, 10)!.FormatActions());
        // Strict: exact match and priority only.
        Assert.Equal(1, tables.Delete(FlowParser.Parse("priority=20,tcp,tp_dst=80", FlowTextMode.Select), strict: true));
        Assert.Equal(2, tables.FlowCount);
        // Loose: every flow the match covers, in every table unless table= is given.
        Assert.Equal(0, tables.Delete(FlowParser.Parse("table=1,tcp", FlowTextMode.Select), strict: false));
        Assert.Equal(2, tables.Delete(FlowParser.Parse("ip", FlowTextMode.Select), strict: false) + tables.Delete(FlowParser.Parse("ip", FlowTextMode.Select), strict: false));
        Assert.Equal(0, tables.FlowCount);
    }

    [Fact]
    public void Mod_flows_keeps_counters_and_strict_adds_when_missing()
    {
        var tables = new FlowTables();
        var f = FlowParser.Parse("priority=10,tcp actions=output:1");
        tables.Add(f, 0);
        f.NPackets = 5;
        Assert.Equal(1, tables.Modify(FlowParser.Parse("tcp actions=output:9"), strict: false, 0));
        Assert.Equal("output:9", f.FormatActions());
        Assert.Equal(5, f.NPackets);
        Assert.Equal(0, tables.Modify(FlowParser.Parse("priority=11,udp actions=output:3"), strict: true, 0));
        Assert.Equal(2, tables.FlowCount);
    }

    [Fact]
    public void Del_flows_by_cookie_mask_and_dump_format()
    {
        var tables = new FlowTables();
        tables.Add(FlowParser.Parse("cookie=0x12,priority=10,tcp actions=output:1"), 0);
        tables.Add(FlowParser.Parse("cookie=0x22,priority=10,udp actions=output:1"), 0);
        var dump = tables.Dump(2_500_000).ToList();
        Assert.Equal(" cookie=0x12, duration=2.500s, table=0, n_packets=0, n_bytes=0, priority=10,tcp actions=output:1", dump[0]);
        Assert.Equal(1, tables.Delete(FlowParser.Parse("cookie=0x10/0xf0", FlowTextMode.Select), strict: false));
        Assert.Single(tables.Dump(0));
    }

    [Fact]
    public void Idle_and_hard_timeouts_expire_on_the_clock()
    {
        var tables = new FlowTables();
        var idle = FlowParser.Parse("idle_timeout=10,priority=1,tcp actions=drop");
        var hard = FlowParser.Parse("hard_timeout=30,priority=2,tcp actions=drop");
        tables.Add(idle, 0); tables.Add(hard, 0);
        idle.LastUsedUs = 5_000_000;
        Assert.Empty(tables.Expire(14_000_000));
        Assert.Same(idle, Assert.Single(tables.Expire(15_000_000)));
        Assert.Same(hard, Assert.Single(tables.Expire(30_000_000)));
    }
}
