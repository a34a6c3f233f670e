using Switch.Core.Ports;
using Switch.Node.Commands;
using Xunit;

namespace Switch.Tests.Node;

/// <summary>The main job's default: the bundled firewall sample through a local 3-member cluster gives exactly the
/// packets the in-process switch gives, per output port (the two directions enter different members, so every
/// connection is asymmetric across the cluster, and the fragmented datagram is reassembled by a sharded entity).</summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public sealed class ClusterReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-creplay-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static List<string> Frames(IEnumerable<string> pcaps) =>
        pcaps.Where(File.Exists).SelectMany(p => new ReplaySource(new ReplayInput(1, p)).Select(f => Convert.ToHexString(f.Span)))
            .OrderBy(h => h, StringComparer.Ordinal).ToList();

    [Fact]
    public void The_bundled_sample_through_a_local_cluster_gives_the_same_packets_as_one_switch()
    {
        string single = Path.Combine(_dir, "single"), cluster = Path.Combine(_dir, "cluster");
        Assert.Equal(0, ReplayCommand.Run(new[] { "--cluster", "0", "--out", single }, new StringWriter()));
        var text = new StringWriter();
        Assert.Equal(0, ReplayCommand.Run(new[] { "--out", cluster }, text));
        Assert.Contains("through 3 cluster members", text.ToString());
        foreach (var port in new[] { "1", "2" })
        {
            var expected = Frames(new[] { Path.Combine(single, $"port-{port}.pcap") });
            var got = Frames(Enumerable.Range(1, 3).Select(n => Path.Combine(cluster, $"n{n}", $"port-{port}.pcap")));
            Assert.NotEmpty(expected);
            Assert.Equal(expected, got);
        }
        Assert.Contains("drop_action", text.ToString());
    }

    /// <summary>Regression (issue 12): a flow file whose lines conflict (same match and priority: the later replaces the
    /// earlier, as ovs-ofctl add-flow does) crashed `replay --cluster 3`, and a 3 000-flow file was refused. Here the
    /// firewall with conflicting lines and 100 000 more flows replays through 3 members with the one switch's packets.</summary>
    [Fact]
    public void Conflicting_lines_and_a_100k_flow_table_replay_through_the_cluster_as_through_one_switch()
    {
        var samples = Path.Combine(AppContext.BaseDirectory, "samples");
        var lines = File.ReadAllLines(Path.Combine(samples, "flows", "firewall.flows")).Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')).ToList();
        var arp = lines.Single(l => l.Contains("arp"));
        lines.Add(arp.Replace("NORMAL", "drop")); // conflicts with the ARP flow ...
        lines.Add(arp);                           // ... and is replaced again: the later line wins
        for (int i = 0; i < 100_000; i++) lines.Add($"table=5,priority=100,ip,nw_dst=172.{16 + (i >> 16)}.{(i >> 8) & 255}.{i & 255} actions=drop");
        var flows = Path.Combine(_dir, "big.flows");
        File.WriteAllLines(flows, lines);
        string[] Args(string outDir, int members) => new[] { "--flows", flows, "--port", "1=" + Path.Combine(samples, "pcap", "host-a.pcap"),
            "--port", "2=" + Path.Combine(samples, "pcap", "host-b.pcap"), "--out", outDir, "--cluster", members.ToString() };
        string single = Path.Combine(_dir, "single-big"), cluster = Path.Combine(_dir, "cluster-big");
        Assert.Equal(0, ReplayCommand.Run(Args(single, 0), new StringWriter()));
        var text = new StringWriter();
        Assert.Equal(0, ReplayCommand.Run(Args(cluster, 3), text));
        foreach (var port in new[] { "1", "2" })
        {
            var expected = Frames(new[] { Path.Combine(single, $"port-{port}.pcap") });
            Assert.NotEmpty(expected);
            Assert.Equal(expected, Frames(Enumerable.Range(1, 3).Select(n => Path.Combine(cluster, $"n{n}", $"port-{port}.pcap"))));
        }
    }
}
