using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Switch.Actors.Cluster;
using Switch.Core.Ports;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;
using Xunit;

namespace Switch.Tests.Cluster;

/// <summary>Real cluster members (ActorSystems on loopback TCP) in this test process.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    public List<ClusterNode> Nodes => _cluster.Nodes;
    public Dictionary<(int Node, uint Port), InMemoryPort> Ports { get; } = new();

    public static int FreePort() => Loopback.FreePort();

    public static async Task<TestCluster> StartAsync(int n, uint[]? ports = null, PersistenceOptions? persistence = null,
        Switch.Actors.Cluster.EntityTimings? timings = null, Switch.Core.Conntrack.ConntrackSettings? ct = null, int replicas = 2)
    {
        var tc = new TestCluster { _portNumbers = ports ?? new uint[] { 1, 2 }, _ct = ct };
        tc._configure = o => o with
        {
            Shards = 30, StableAfter = TimeSpan.FromSeconds(3), Persistence = persistence, Replicas = replicas,
            EntityTimings = timings ?? Switch.Actors.Cluster.EntityTimings.Default,
        };
        tc._cluster = await LocalCluster.StartAsync(n, tc.PortsOf, tc._configure, ct: ct, formWithin: TimeSpan.FromSeconds(30));
        return tc;
    }

    private uint[] _portNumbers = Array.Empty<uint>();
    private Func<ClusterNodeOptions, ClusterNodeOptions> _configure = o => o;
    private Switch.Core.Conntrack.ConntrackSettings? _ct;

    private List<IPort> PortsOf(int i)
    {
        var nodePorts = new List<IPort>();
        foreach (var p in _portNumbers)
        {
            var mp = new InMemoryPort(p, $"n{i + 1}-{p}");
            Ports[(i, p)] = mp;
            nodePorts.Add(mp);
        }
        return nodePorts;
    }

    /// <summary>A member that joins the running cluster (n{count+1}, configured as the others), once every member sees
    /// it Up.</summary>
    public async Task<ClusterNode> AddMemberAsync()
    {
        int i = Nodes.Count;
        var o = LocalCluster.Member($"n{i + 1}", Loopback.FreePort(), _cluster.SeedPort, _cluster.Security);
        var node = new ClusterNode(_configure(o), PortsOf(i), ct: _ct);
        Nodes.Add(node);
        await LocalCluster.WaitUpAsync(Nodes, Nodes.Count, TimeSpan.FromSeconds(60));
        return node;
    }

    private LocalCluster _cluster = null!;

    public async Task<FlowCommandResult> AddFlowsAsync(int viaNode, params string[] flows)
    {
        var r = await FlowCommandClient.SendAsync(Nodes[viaNode].System, Nodes[viaNode].FlowManagerProxy, new FlowCommand(FlowCommandKind.Add, flows, false), TimeSpan.FromSeconds(60));
        Assert.Null(r.Error);
        return r;
    }

    public Task<InjectFramesReply> InjectAsync(int node, uint inPort, params byte[][] frames) =>
        Nodes[node].Datapath.Ask<InjectFramesReply>(new InjectFrames(inPort, frames), TimeSpan.FromSeconds(20));

    /// <summary>This cluster's entity counters, summed over its members.</summary>
    public long Counted(Func<Switch.Actors.Cluster.EntityCounters, long> counter) =>
        Nodes.Sum(n => counter(Switch.Actors.Cluster.EntityCounters.Get(n.System)));

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
