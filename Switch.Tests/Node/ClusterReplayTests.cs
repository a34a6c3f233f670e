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
}
