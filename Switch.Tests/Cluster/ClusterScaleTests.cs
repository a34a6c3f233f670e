using Switch.Testing;
using System.Diagnostics;
using Switch.Contracts.Control;
using Switch.Node.Commands;
using Switch.Node.Control;
using Switch.Tests.Failover;
using Xunit;
using Xunit.Abstractions;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>
/// Regression (issue 12) at the size users run: three real `dswitch run` processes, 100 000 flows added through the seed
/// in one add-flows, and 1 000 000 committed connections dumped completely through the seed. Before, flow sets over
/// ≈128 KB were refused ("not replicated to a majority") and cross-member dumps timed out past ≈8 000 connections (one
/// remoting frame). DSWITCH_SCALE_CONNECTIONS overrides the connection count.
/// </summary>
[Trait("Category", Tiers.Process)]
[Collection("cluster")]
public sealed class ClusterScaleTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-scale-").FullName;
    private readonly List<NodeProcess> _nodes = new();

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static int Connections => int.TryParse(Environment.GetEnvironmentVariable("DSWITCH_SCALE_CONNECTIONS"), out var n) ? n : 1_000_000;
    private const int Flows = 100_000;

    [Fact]
    public async Task Three_processes_take_100k_flows_and_dump_1M_connections()
    {
        int seedAkka = TestCluster.FreePort();
        string seed = $"akka.ssl.tcp://dswitch@127.0.0.1:{seedAkka}";
        for (int i = 1; i <= 3; i++)
            _nodes.Add(NodeProcess.Start(_dir, $"n{i}", i == 1 ? seedAkka : TestCluster.FreePort(), seed, null, "\"1\":{},\"2\":{}",
                // SYNs stay SYN_SENT: give them an hour (nf_conntrack_tcp_timeout_syn_sent) so none expires before the dump.
                extraJson: "\"conntrack\": { \"maxConnections\": 2000000, \"timeouts\": { \"tcp_timeout_syn_sent\": 3600 } }"));
        foreach (var node in _nodes) await node.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var clients = _nodes.Select(n => global::Switch.Testing.TestPki.Client(n.Api, TimeSpan.FromMinutes(5))).ToList();
        await Eventually.Async(async () => (await clients[0].ClusterAsync()).Members.Count(m => m.Status == "Up") == 3, "the cluster did not form");

        // 100 000 flows in one add-flows through the seed (as `ctl add-flows FILE` sends them), visible on every member.
        var lines = SamplesCommand.Firewall.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#')).ToList();
        int firewall = lines.Count;
        for (int i = 0; i < Flows; i++) lines.Add($"table=5,priority=100,ip,nw_dst=172.{16 + (i >> 16)}.{(i >> 8) & 255}.{i & 255} actions=drop");
        var sw = Stopwatch.StartNew();
        var added = await clients[0].AddFlowsAsync(new AddFlowsRequest(lines));
        double addSeconds = sw.Elapsed.TotalSeconds;
        Assert.Equal(Flows + firewall, added.Affected);
        foreach (var c in clients) Assert.Equal(Flows + firewall, (await c.DumpFlowsAsync(null)).Count);
        sw.Restart();
        await clients[1].AddFlowsAsync(new AddFlowsRequest(new[] { "table=6,priority=1,ip actions=drop" }));
        double oneSeconds = sw.Elapsed.TotalSeconds;
        foreach (var c in clients) Assert.Equal(Flows + firewall + 1, (await c.DumpFlowsAsync(null)).Count);
        output.WriteLine($"add-flows of {Flows + firewall} flows: visible on 3 members in {addSeconds:0.0} s; one more flow: {oneSeconds * 1000:0} ms");

        // 1 000 000 connections, each a SYN from inside (port 1) that the firewall commits; packet-out in batches, each
        // member taking its share of the ingress.
        int n = Connections, batch = Switch.Contracts.Control.ApiLimits.PacketOutFrames;
        sw.Restart();
        for (int start = 0, b = 0; start < n; start += batch, b++)
        {
            var hex = new List<string>(batch);
            for (int i = start; i < Math.Min(n, start + batch); i++)
                hex.Add(HexFrame.Format(TcpV4($"10.{1 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}", "10.0.0.2", (ushort)(1024 + (i % 60000)), 80, Syn, 1)));
            var r = await clients[b % 3].PacketOutAsync(new PacketOutRequest(null, 1, hex));
            Assert.All(r.Frames, f => Assert.Equal("+new+trk outputs=2", $"{f.CtState} outputs={string.Join(",", f.Outputs)}"));
        }
        output.WriteLine($"{n} connections committed in {sw.Elapsed.TotalSeconds:0.0} s");

        var status = await clients[2].ClusterAsync();
        Assert.Equal(n, status.Members.Sum(m => m.Connections));
        long rssBefore = Rss(_nodes[0].Process);
        sw.Restart();
        var dump = await clients[0].DumpConntrackAsync(null);
        output.WriteLine($"dump-conntrack of {dump.Count} connections through the seed in {sw.Elapsed.TotalSeconds:0.0} s; seed RSS {rssBefore >> 20} MB before, {Rss(_nodes[0].Process) >> 20} MB after; per member: " +
            string.Join(", ", status.Members.Select(m => $"{m.Name} {m.Connections}")));
        Assert.Equal(n, dump.Count);
        Assert.Equal(n, dump.Distinct().Count());
        Assert.All(dump.Take(1000), l => Assert.Contains(",zone=1,protoinfo=(state=SYN_SENT)", l));
        // Filters are applied at the members: another zone has nothing.
        Assert.Empty(await clients[1].DumpConntrackAsync(7));
    }

    private static long Rss(Process p)
    {
        p.Refresh();
        return p.WorkingSet64;
    }

}
