using Akka.Cluster;
using Switch.Core.Ports;
using Switch.Node.Cluster;
using Switch.Tests.Cluster;
using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>
/// Three real cluster nodes in this process that form their cluster the way pods do on Kubernetes: no seeds,
/// Akka.Management cluster bootstrap over Akka.Discovery.KubernetesApi, which lists the pods of a
/// <see cref="FakeKubernetesApi"/>. Each node has its own management and remoting port; the "pods" all have
/// IP 127.0.0.1 and name their management port, as the DaemonSet's container does.
/// As a DaemonSet rolls out, with the shipped <c>requiredContactPoints</c> (below the host count): two pods run
/// first and form the cluster; the third appears later, and it has the lowest contact-point address of all, the
/// one that would form a cluster of its own if it did not find the existing one through the others.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BootstrapClusterCollection : ICollectionFixture<BootstrapCluster> { public const string Name = "k8s-bootstrap"; }

public sealed class BootstrapCluster : IAsyncLifetime
{
    public const string Namespace = "dswitch-test";
    // Environment variables are process-wide: names of this cluster's own, so another fixture cannot redirect it.
    private readonly string HostEnv = "DSWITCH_TEST_K8S_HOST_" + Guid.NewGuid().ToString("N"), PortEnv = "DSWITCH_TEST_K8S_PORT_" + Guid.NewGuid().ToString("N");
    public FakeKubernetesApi Api { get; } = new();
    public List<ClusterNode> Nodes { get; } = new();
    public List<InMemoryPort> Ports { get; } = new();
    public TimeSpan FormedAfter { get; private set; }
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-k8s-").FullName;

    public async Task InitializeAsync()
    {
        await Api.StartAsync();
        // What a pod's service account mounts: the token and the cluster CA (here the fake server's own certificate).
        string token = Path.Combine(_dir, "token"), ca = Path.Combine(_dir, "ca.crt");
        File.WriteAllText(token, FakeKubernetesApi.Token);
        File.WriteAllText(ca, Api.Certificate.ExportCertificatePem());
        // The discovery reads the API server's address from these variables (KUBERNETES_SERVICE_HOST/PORT in a pod).
        Environment.SetEnvironmentVariable(HostEnv, "127.0.0.1");
        Environment.SetEnvironmentVariable(PortEnv, Api.Port.ToString());

        var labels = new Dictionary<string, string> { ["app"] = "dswitch", ["app.kubernetes.io/part-of"] = "distswitch" };
        // Lowest management port first: node 0 (the late pod) has the lowest contact point.
        var placed = Enumerable.Range(0, 3).Select(_ => (Mgmt: TestCluster.FreePort(), Remote: TestCluster.FreePort())).OrderBy(p => p.Mgmt).ToList();
        // A pod of something else in the namespace: the label selector must leave it out.
        Api.AddPod(Namespace, "postgres-0", "127.0.0.1", TestCluster.FreePort(), TestCluster.FreePort(), new() { ["app"] = "postgres" });
        RequiredContactPoints = ShippedRequiredContactPoints();
        Assert.True(RequiredContactPoints < 3, "the shipped requiredContactPoints must be below this cluster's 3 hosts");

        var started = DateTime.UtcNow;
        var nodes = new ClusterNode?[3];
        void Start(int i)
        {
            var ports = new List<IPort>();
            foreach (uint p in new uint[] { 1, 2 })
            {
                var mp = new InMemoryPort(p, $"n{i + 1}-{p}");
                Ports.Add(mp);
                ports.Add(mp);
            }
            nodes[i] = new ClusterNode(new ClusterNodeOptions
            {
                Name = $"n{i + 1}", Port = placed[i].Remote, Shards = 30, StableAfter = TimeSpan.FromSeconds(3),
                Security = global::Switch.Testing.TestPki.Security,
                Bootstrap = new ClusterBootstrapOptions
                {
                    Method = ClusterBootstrapOptions.KubernetesApi, ServiceName = "dswitch", LabelSelector = "app={0}",
                    ManagementHost = "127.0.0.1", ManagementPort = placed[i].Mgmt, RequiredContactPoints = RequiredContactPoints,
                    StableMargin = TimeSpan.FromSeconds(2), Namespace = Namespace, ApiHostEnv = HostEnv, ApiPortEnv = PortEnv,
                    TokenPath = token, CaPath = ca,
                },
            }, ports);
        }
        // Pods 1 and 2 run (listed, their nodes bootstrapping); pod 0 is still being scheduled.
        Api.AddPod(Namespace, "dswitch-1", "127.0.0.1", placed[1].Mgmt, placed[1].Remote, labels);
        Api.AddPod(Namespace, "dswitch-2", "127.0.0.1", placed[2].Mgmt, placed[2].Remote, labels);
        Start(1);
        Start(2);
        try
        {
            await Task.WhenAll(nodes[1]!.Bootstrap, nodes[2]!.Bootstrap).WaitAsync(TimeSpan.FromSeconds(20));
            await UpCount(new[] { nodes[1]!, nodes[2]! }, 2, $"the first two pods did not form a cluster of 2 (requiredContactPoints {RequiredContactPoints})");
            // The late pod, the lowest contact point of the three: listed, then its node starts.
            Api.AddPod(Namespace, "dswitch-0", "127.0.0.1", placed[0].Mgmt, placed[0].Remote, labels);
            Start(0);
            await nodes[0]!.Bootstrap.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally { Nodes.AddRange(nodes.OfType<ClusterNode>()); }
        await UpCount(Nodes, 3, "the late pod did not join the cluster of 3");
        FormedAfter = DateTime.UtcNow - started;
    }

    /// <summary>The shipped node config's <c>requiredContactPoints</c> (deploy/k8s/config/node.json).</summary>
    public int RequiredContactPoints { get; private set; }

    private static int ShippedRequiredContactPoints()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Manifests.K8sDir, "config", "node.json")));
        return doc.RootElement.GetProperty("cluster").GetProperty("bootstrap").GetProperty("requiredContactPoints").GetInt32();
    }

    private async Task UpCount(IEnumerable<ClusterNode> nodes, int count, string failure)
    {
        var list = nodes.ToList();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (list.Any(x => x.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up) < count))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(failure + "; API requests: " + string.Join(" | ", Api.Requests.Take(5))
                    + "; members: " + string.Join(" / ", list.Select(n => n.Cluster.State.Members.Count)));
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var n in Enumerable.Reverse(Nodes)) await n.DisposeAsync();
        foreach (var p in Ports) p.Dispose();
        await Api.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
