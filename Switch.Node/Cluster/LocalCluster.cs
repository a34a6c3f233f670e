using Akka.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Ports;

namespace Switch.Node.Cluster;

/// <summary>
/// Members of one cluster inside this process on 127.0.0.1, the first the seed: the one builder behind
/// `replay --cluster N`, the tests' clusters and the benches'. Real remoting between them, as between hosts.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    public List<ClusterNode> Nodes { get; } = new();
    public int SeedPort { get; }
    public string Seed => SeedAddress(SeedPort);

    private LocalCluster(int seedPort) => SeedPort = seedPort;

    public static string SeedAddress(int port) => $"{ClusterNodeOptions.Scheme}://{ClusterNodeOptions.SystemName}@127.0.0.1:{port}";

    /// <summary>The throwaway CA, member certificate and tokens this cluster's members share (in memory only).</summary>
    public Security.NodeSecurity Security { get; private init; } = null!;
    public string AdminToken { get; private init; } = "";
    public string ReaderToken { get; private init; } = "";

    /// <summary>Options for member <paramref name="name"/> on <paramref name="port"/> joining the seed on
    /// <paramref name="seedPort"/> (itself when they are the same).</summary>
    public static ClusterNodeOptions Member(string name, int port, int seedPort, Security.NodeSecurity security) =>
        new() { Name = name, Port = port, Seeds = new[] { SeedAddress(seedPort) }, Security = security };

    /// <summary>Starts <paramref name="members"/> members n1…nN (member i gets <paramref name="ports"/>(i)), waits until
    /// every one sees all of them Up, or throws naming the time it waited.</summary>
    public static async Task<LocalCluster> StartAsync(int members, Func<int, IEnumerable<IPort>> ports,
        Func<ClusterNodeOptions, ClusterNodeOptions>? configure = null, ConntrackSettings? ct = null, TimeSpan? formWithin = null)
    {
        var (security, admin, reader) = Switch.Node.Security.NodeSecurity.Ephemeral();
        var lc = new LocalCluster(Loopback.FreePort()) { Security = security, AdminToken = admin, ReaderToken = reader };
        try
        {
            for (int i = 0; i < members; i++)
            {
                var o = Member($"n{i + 1}", i == 0 ? lc.SeedPort : Loopback.FreePort(), lc.SeedPort, security);
                lc.Nodes.Add(new ClusterNode(configure is null ? o : configure(o), ports(i), ct: ct));
            }
            await WaitUpAsync(lc.Nodes, members, formWithin ?? TimeSpan.FromSeconds(60));
            return lc;
        }
        catch
        {
            await lc.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until every node in <paramref name="nodes"/> sees <paramref name="members"/> members Up.</summary>
    public static async Task WaitUpAsync(IEnumerable<ClusterNode> nodes, int members, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (nodes.Any(n => n.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up) < members))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the local cluster of {members} members did not form within {within.TotalSeconds:0} s");
            await Task.Delay(100);
        }
    }

    /// <summary>Stops the members, last first (the seed leaves last).</summary>
    public async ValueTask DisposeAsync()
    {
        for (int i = Nodes.Count - 1; i >= 0; i--) await Nodes[i].DisposeAsync();
        Nodes.Clear();
    }
}
