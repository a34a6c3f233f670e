using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Contracts;
using DatapathCore = Switch.Core.Datapath.Datapath;

namespace Switch.Bench;

/// <summary>
/// End to end: packets/s through <see cref="DatapathCore.Receive"/> for 10 000 pre-built packets of the
/// protocol mix, one invocation = all of them (so Mean is per packet). Two pipelines, each against a
/// parse-only pass over the same packets (the floor: every packet is parsed once on receive):
/// - Pipeline: three tables (classify by in_port/protocol, mark DSCP with mod_nw_tos behind 1 000 ACL flows,
///   route by destination prefix to explicit outputs), no conntrack.
/// - Normal: a single NORMAL flow, MAC learning among 64 hosts on 4 ports; the table is warm, so this is the
///   learned-unicast path.
/// Packets are reused across invocations without copying: every action taken is idempotent (mod_nw_tos writes
/// a constant, outputs do not change the frame), so each pass sees the same bytes. Ports only count (<see cref="NullPort"/>).
/// Op/s is packets/s (one operation = one packet).
/// </summary>
[MemoryDiagnoser]
[OperationsPerSecond]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ReplayBenchmarks
{
    public const int PacketCount = 10_000;
    private const int Hosts = 64, Ports = 4;

    private Packet[] _pipelinePackets = [];
    private Packet[] _normalPackets = [];
    private DatapathCore _pipeline = null!;
    private DatapathCore _normal = null!;

    private static readonly string[] PipelineFlows =
    [
        "table=0,priority=100,in_port=1,ip actions=goto_table:1",
        "table=0,priority=100,in_port=1,ipv6 actions=goto_table:1",
        "table=0,priority=50,in_port=1,arp actions=output:2",
        "table=0,priority=0 actions=drop",
        "table=1,priority=200,tcp,tp_dst=80 actions=mod_nw_tos:32,goto_table:2",
        "table=1,priority=200,tcp6,tp_dst=443 actions=mod_nw_tos:32,goto_table:2",
        "table=1,priority=150,udp,tp_dst=53 actions=mod_nw_tos:184,goto_table:2",
        "table=1,priority=100,ip actions=goto_table:2",
        "table=1,priority=100,ipv6 actions=goto_table:2",
        "table=2,priority=100,ip,nw_dst=10.1.0.0/16 actions=output:2",
        "table=2,priority=100,ip,nw_dst=10.2.0.0/16 actions=output:3",
        "table=2,priority=10,ip actions=output:4",
        "table=2,priority=10,ipv6 actions=output:4",
    ];

    [GlobalSetup]
    public void Setup()
    {
        var kinds = Enum.GetValues<FrameKind>();
        var rng = new Random(11);

        _pipeline = NewDatapath();
        foreach (var text in PipelineFlows) _pipeline.AddFlow(FlowParser.Parse(text));
        // An ACL the traffic never hits (sources in 192.0.2.0/24 and 198.51.100.0/24): it adds a subtable
        // probed first in table 1, as deny lists do in front of a policy.
        for (int i = 0; i < 1000; i++)
            _pipeline.AddFlow(FlowParser.Parse($"table=1,priority=300,tcp,nw_src={(i < 256 ? "192.0.2" : "198.51.100")}.{i % 256},tp_dst={22 + i / 256} actions=drop"));
        _pipelinePackets = new Packet[PacketCount];
        for (int i = 0; i < PacketCount; i++)
        {
            var kind = kinds[rng.Next(kinds.Length)];
            _pipelinePackets[i] = Packet.From(BenchFrames.Build(kind, i, BenchFrames.HostA,
                kind == FrameKind.Arp ? BenchFrames.Broadcast : BenchFrames.HostB), inPort: 1);
        }

        _normal = NewDatapath();
        _normal.AddFlow(FlowParser.Parse("table=0,priority=0 actions=NORMAL"));
        _normalPackets = new Packet[PacketCount];
        for (int i = 0; i < PacketCount; i++)
        {
            int src = rng.Next(Hosts), dst;
            do dst = rng.Next(Hosts); while (PortOf(dst) == PortOf(src));
            var kind = kinds[rng.Next(kinds.Length)];
            _normalPackets[i] = Packet.From(BenchFrames.Build(kind, i, HostMac(src), HostMac(dst)), inPort: PortOf(src));
        }

        // One pass to learn MACs (and fault in everything), then prove a pass forwards every packet exactly once:
        // a drop or a flood would measure a different path than the one named.
        Run(_normal, _normalPackets);
        Check(_pipeline, _pipelinePackets);
        Check(_normal, _normalPackets);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PacketCount), BenchmarkCategory("Pipeline")]
    public int ParsePipelinePackets() => ParseAll(_pipelinePackets);

    [Benchmark(OperationsPerInvoke = PacketCount), BenchmarkCategory("Pipeline")]
    public void ThreeTables() => Run(_pipeline, _pipelinePackets);

    [Benchmark(Baseline = true, OperationsPerInvoke = PacketCount), BenchmarkCategory("Normal")]
    public int ParseNormalPackets() => ParseAll(_normalPackets);

    [Benchmark(OperationsPerInvoke = PacketCount), BenchmarkCategory("Normal")]
    public void NormalMacLearning() => Run(_normal, _normalPackets);

    private static int ParseAll(Packet[] packets)
    {
        int sum = 0;
        var key = default(FlowKey);
        for (int i = 0; i < packets.Length; i++)
        {
            var p = packets[i];
            sum += (int)PacketParser.Parse(p.Span, p.InPort, ref key);
        }
        return sum;
    }

    private static void Run(DatapathCore dp, Packet[] packets)
    {
        for (int i = 0; i < packets.Length; i++) dp.Receive(packets[i]);
    }

    private static void Check(DatapathCore dp, Packet[] packets)
    {
        long before = TxTotal(dp);
        Run(dp, packets);
        if (dp.Counters.Drops.Count != 0)
            throw new InvalidOperationException("replay dropped packets: " + string.Join(", ", dp.Counters.Drops));
        if (TxTotal(dp) - before != packets.Length)
            throw new InvalidOperationException($"replay sent {TxTotal(dp) - before} packets for {packets.Length} received");
    }

    private static long TxTotal(DatapathCore dp) => dp.Ports.Values.Sum(p => p.Counters.TxPackets);

    private static DatapathCore NewDatapath()
    {
        var dp = new DatapathCore(null, new ManualClock());
        for (uint p = 1; p <= Ports; p++) dp.AddPort(new NullPort(p));
        return dp;
    }

    private static uint PortOf(int host) => 1 + (uint)(host % Ports);
    private static ulong HostMac(int host) => 0x02_00_00_00_10_00UL + (ulong)host;
}
