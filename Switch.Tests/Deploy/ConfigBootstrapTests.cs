using Akka.Cluster;
using Switch.Node;
using Switch.Node.Cluster;
using Switch.Node.Commands;
using Switch.Tests.Cluster;
using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>Off Kubernetes the same bootstrap runs with config-based discovery: a fixed list of management endpoints.</summary>
[Trait("Category", Tiers.Cluster)]
public sealed class ConfigBootstrapTests
{
    [Fact]
    public async Task Three_nodes_form_one_cluster_by_config_discovery_without_seeds()
    {
        var placed = Enumerable.Range(0, 3).Select(_ => (Mgmt: TestCluster.FreePort(), Remote: TestCluster.FreePort())).ToList();
        var endpoints = placed.Select(p => $"127.0.0.1:{p.Mgmt}").ToList();
        var nodes = new List<ClusterNode>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                // Through the node config, as `dswitch run --config` reads it.
                var config = new NodeConfig
                {
                    Name = $"c{i + 1}",
                    Security = new NodeConfigSecurity { Dir = global::Switch.Testing.TestPki.Dir }.Resolved(global::Switch.Testing.TestPki.Dir),
                    Cluster = new NodeConfigCluster
                    {
                        Host = "127.0.0.1", Port = placed[i].Remote, StableAfterSeconds = 3,
                        Bootstrap = new NodeConfigBootstrap { Method = "config", ManagementPort = placed[i].Mgmt, RequiredContactPoints = 3, StableMarginSeconds = 1, Endpoints = endpoints },
                    },
                };
                config.Validate("test");
                nodes.Add(new ClusterNode(RunCommand.ClusterOptions(config, config.Security!.Load())));
            }
            foreach (var n in nodes) await n.Bootstrap.WaitAsync(TimeSpan.FromSeconds(20));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (nodes.Any(x => x.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up) < 3))
            {
                Assert.True(DateTime.UtcNow < deadline, "config bootstrap did not form a 3-node cluster");
                await Task.Delay(100);
            }
            Assert.Single(nodes.Select(n => n.Cluster.State.Leader).Distinct());
        }
        finally
        {
            foreach (var n in Enumerable.Reverse(nodes)) await n.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("""{"security":{"dir":"pki"},"cluster":{"seeds":["akka.ssl.tcp://dswitch@127.0.0.1:4053"],"bootstrap":{"method":"config","endpoints":["127.0.0.1:8558"]}}}""", "seeds or bootstrap")]
    [InlineData("""{"security":{"dir":"pki"},"cluster":{"bootstrap":{"method":"dns"}}}""", "expected kubernetes-api or config")]
    [InlineData("""{"security":{"dir":"pki"},"cluster":{"bootstrap":{"method":"config"}}}""", "the config method needs")]
    [InlineData("""{"security":{"dir":"pki"},"cluster":{"bootstrap":{"requiredContactPoints":0}}}""", "requiredContactPoints")]
    [InlineData("""{"security":{"dir":"pki"},"cluster":{"bootstrap":{"managementPrt":1}}}""", "managementPrt")]
    public void Bad_bootstrap_sections_are_refused_with_the_field_named(string json, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"dswitch-bootstrap-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            var e = Assert.Throws<UsageException>(() => NodeConfig.Load(path));
            Assert.Contains(expected, e.Message);
        }
        finally { File.Delete(path); }
    }
}
