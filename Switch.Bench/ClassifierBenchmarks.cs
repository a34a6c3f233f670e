using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using Switch.Core.Datapath;
using Switch.Core.Packets;

namespace Switch.Bench;

/// <summary>
/// ns/lookup of <see cref="FlowTable.Lookup"/> (tuple-space search) against a linear scan of the same flows in
/// priority order, the classifier a naive switch would have. The table holds five masks, as an ACL-style table
/// does: exact 5-tuple-ish flows (nw_src/32, nw_dst/32, tp_dst), UDP service flows (nw_src/32, tp_dst), TCP
/// source/port flows, /24 destination prefixes, and a priority-0 catch-all. Keys hit each kind and miss all
/// but the catch-all, the costliest case for both (tuple space probes every subtable, the scan every flow).
/// The Ratio column reads as speed-up ("N x faster") because at 100 000 flows a plain ratio rounds to 0.000.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(SpeedupConfig))]
public class ClassifierBenchmarks
{
    public sealed class SpeedupConfig : ManualConfig
    {
        public SpeedupConfig() => SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
    }

    public const int KeyCount = 512;

    [Params(10, 1000, 100_000)]
    public int Flows;

    private FlowTable _table = null!;
    private Flow[] _byPriority = [];
    private FlowKey[] _keys = [];

    [GlobalSetup]
    public void Setup()
    {
        int nPrefix = Math.Max(1, Flows / 10), nUdp = Math.Max(1, Flows / 10), nSrcPort = Math.Max(1, Flows / 5);
        int nExact = Flows - 1 - nPrefix - nUdp - nSrcPort;
        // One parsed template per mask; the rest are copies with new values (FieldDef.SetMasked), which keeps the
        // 100 000-flow setup well under a second.
        var exact = FlowParser.Parse("table=0,priority=300,tcp,nw_src=10.0.0.0,nw_dst=192.168.0.0,tp_dst=80 actions=output:2");
        var udp = FlowParser.Parse("table=0,priority=250,udp,nw_src=12.0.0.0,tp_dst=53 actions=output:3");
        var srcPort = FlowParser.Parse("table=0,priority=200,tcp,nw_src=11.0.0.0,tp_dst=22 actions=output:4");
        var prefix = FlowParser.Parse("table=0,priority=100,ip,nw_dst=172.16.0.0/24 actions=output:5");
        var catchAll = FlowParser.Parse("table=0,priority=0 actions=drop");

        var flows = new List<Flow>(Flows);
        for (int i = 0; i < nExact; i++)
            flows.Add(Copy(exact, (Fields.NwSrc, ExactSrc(i)), (Fields.NwDst, ExactDst(i)), (Fields.TpDst, ExactPort(i))));
        for (int i = 0; i < nUdp; i++)
            flows.Add(Copy(udp, (Fields.NwSrc, 0x0C00_0000u + (uint)i), (Fields.TpDst, 53u)));
        for (int i = 0; i < nSrcPort; i++)
            flows.Add(Copy(srcPort, (Fields.NwSrc, 0x0B00_0000u + (uint)i), (Fields.TpDst, 22u)));
        for (int i = 0; i < nPrefix; i++)
            flows.Add(Copy(prefix, (Fields.NwDst, PrefixNet(i))));
        flows.Add(catchAll);

        _table = new FlowTable(0);
        foreach (var f in flows) _table.Add(f);
        _byPriority = flows.OrderByDescending(f => f.Priority).ToArray();

        var rng = new Random(7);
        _keys = new FlowKey[KeyCount];
        for (int k = 0; k < KeyCount; k++)
        {
            int r = rng.Next(100);
            ushort sport = (ushort)rng.Next(32768, 61000);
            byte[] frame = r switch
            {
                < 40 => ExactHit(rng.Next(nExact), sport),
                < 50 => Udp(0x0C00_0000u + (uint)rng.Next(nUdp), 0x0A01_0101, sport, 53),
                < 65 => Tcp(0x0B00_0000u + (uint)rng.Next(nSrcPort), 0x0A01_0101, sport, 22),
                < 80 => Tcp(0x0D00_0000u + (uint)rng.Next(1 << 20), PrefixNet(rng.Next(nPrefix)) | (uint)rng.Next(256), sport, 443),
                _ => Tcp(0x0D00_0000u + (uint)rng.Next(1 << 20), 0x0808_0000u + (uint)rng.Next(1 << 16), sport, 443),
            };
            if (PacketParser.Parse(frame, 1, ref _keys[k]) != ParseResult.Ok)
                throw new InvalidOperationException("benchmark frame does not parse");
        }
        // Both classifiers must agree, or the comparison is meaningless.
        foreach (var key in _keys)
            if (!ReferenceEquals(_table.Lookup(key), Scan(key)))
                throw new InvalidOperationException("tuple-space lookup and linear scan disagree");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = KeyCount)]
    public int LinearScan()
    {
        int sum = 0;
        var keys = _keys;
        for (int i = 0; i < keys.Length; i++) sum += Scan(keys[i])?.Priority ?? -1;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = KeyCount)]
    public int TupleSpace()
    {
        int sum = 0;
        var keys = _keys;
        var table = _table;
        for (int i = 0; i < keys.Length; i++) sum += table.Lookup(keys[i])?.Priority ?? -1;
        return sum;
    }

    /// <summary>Flows sorted by priority, highest first: the first match is the answer.</summary>
    private Flow? Scan(in FlowKey key)
    {
        var flows = _byPriority;
        for (int i = 0; i < flows.Length; i++)
            if (flows[i].Match.Matches(key)) return flows[i];
        return null;
    }

    private static uint ExactSrc(int i) => 0x0A00_0000u + (uint)i;
    private static uint ExactDst(int i) => 0xC0A8_0000u + (uint)(i * 7919 & 0xffff);
    private static uint ExactPort(int i) => 80u + (uint)(i & 3);
    private static uint PrefixNet(int i) => 0xAC10_0000u + ((uint)i << 8);

    private static Flow Copy(Flow template, params (FieldDef Field, uint Value)[] set)
    {
        var m = new Match { Value = template.Match.Value, Mask = template.Match.Mask };
        foreach (var (f, v) in set) f.SetMasked(ref m.Value, ref m.Mask, v, f.AllOnes);
        return new Flow { Table = template.Table, TableGiven = true, Priority = template.Priority, Match = m, Actions = template.Actions };
    }

    private static byte[] ExactHit(int flow, ushort sport) => Tcp(ExactSrc(flow), ExactDst(flow), sport, (ushort)ExactPort(flow));

    private static byte[] Tcp(uint src, uint dst, ushort sport, ushort dport) =>
        FrameBuilder.Eth(BenchFrames.HostB, BenchFrames.HostA, EtherTypes.Ipv4,
            FrameBuilder.Ipv4(src, dst, IpProtos.Tcp, FrameBuilder.Tcp(sport, dport, FrameBuilder.Ack)));

    private static byte[] Udp(uint src, uint dst, ushort sport, ushort dport) =>
        FrameBuilder.Eth(BenchFrames.HostB, BenchFrames.HostA, EtherTypes.Ipv4,
            FrameBuilder.Ipv4(src, dst, IpProtos.Udp, FrameBuilder.Udp(sport, dport, default)));
}
