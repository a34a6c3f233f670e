using Akka.Cluster;
using Switch.Actors.Ports;
using Switch.Node.Cluster;
using Switch.Tests.Cluster;
using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>
/// Three real cluster nodes in this process that form their cluster the way pods do on Kubernetes: no seeds,
/// Akka.Management cluster bootstrap over Akka.Discovery.KubernetesApi, which lists the pods of a
/// <see cref="FakeKubernetesApi"/>. Each node has its own management and remoting port; the "pods" all have
/// IP 127.0.0.1 and name their management port, as the DaemonSet's container does.
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
        var placed = Enumerable.Range(0, 3).Select(_ => (Mgmt: TestCluster.FreePort(), Remote: TestCluster.FreePort())).ToList();
        for (int i = 0; i < 3; i++) Api.AddPod(Namespace, $"dswitch-{i}", "127.0.0.1", placed[i].Mgmt, placed[i].Remote, labels);
        // A pod of something else in the namespace: the label selector must leave it out.
        Api.AddPod(Namespace, "postgres-0", "127.0.0.1", TestCluster.FreePort(), TestCluster.FreePort(), new() { ["app"] = "postgres" });

        var started = DateTime.UtcNow;
        for (int i = 0; i < 3; i++)
        {
            var ports = new List<IPort>();
            foreach (uint p in new uint[] { 1, 2 })
            {
                var mp = new InMemoryPort(p, $"n{i + 1}-{p}");
                Ports.Add(mp);
                ports.Add(mp);
            }
            Nodes.Add(new ClusterNode(new ClusterNodeOptions
            {
                Name = $"n{i + 1}", Port = placed[i].Remote, Shards = 30, StableAfter = TimeSpan.FromSeconds(3),
                Bootstrap = new ClusterBootstrapOptions
                {
                    Method = ClusterBootstrapOptions.KubernetesApi, ServiceName = "dswitch", LabelSelector = "app={0}",
                    ManagementHost = "127.0.0.1", ManagementPort = placed[i].Mgmt, RequiredContactPoints = 3,
                    StableMargin = TimeSpan.FromSeconds(2), Namespace = Namespace, ApiHostEnv = HostEnv, ApiPortEnv = PortEnv,
                    TokenPath = token, CaPath = ca,
                },
            }, ports));
        }
        foreach (var n in Nodes) await n.Bootstrap.WaitAsync(TimeSpan.FromSeconds(20));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Nodes.Any(x => x.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up) < 3))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("bootstrap did not form a 3-node cluster; API requests: " + string.Join(" | ", Api.Requests.Take(5))
                    + "; members: " + string.Join(" / ", Nodes.Select(n => n.Cluster.State.Members.Count)));
            await Task.Delay(100);
        }
        FormedAfter = DateTime.UtcNow - started;
    }

    public async Task DisposeAsync()
    {
        foreach (var n in Enumerable.Reverse(Nodes)) await n.DisposeAsync();
        foreach (var p in Ports) p.Dispose();
        await Api.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
