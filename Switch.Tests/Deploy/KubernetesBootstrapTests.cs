using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>Cluster formation through Akka.Management bootstrap and the Kubernetes API discovery code path.</summary>
[Collection(BootstrapClusterCollection.Name)]
public sealed class KubernetesBootstrapTests
{
    private readonly BootstrapCluster _c;
    public KubernetesBootstrapTests(BootstrapCluster c) => _c = c;

    [Fact]
    public void Three_nodes_form_one_cluster_from_the_pod_list()
    {
        var leader = _c.Nodes[0].Cluster.State.Leader;
        Assert.NotNull(leader);
        foreach (var n in _c.Nodes)
        {
            Assert.Equal(3, n.Cluster.State.Members.Count);
            Assert.Equal(leader, n.Cluster.State.Leader); // one cluster, not three
        }
    }

    [Fact]
    public void Discovery_lists_pods_by_label_in_the_namespace_with_the_service_account_token()
    {
        Assert.NotEmpty(_c.Api.Requests);
        Assert.All(_c.Api.Requests, r => Assert.StartsWith($"/api/v1/namespaces/{BootstrapCluster.Namespace}/pods?", r));
        Assert.Contains(_c.Api.Requests, r => r.Contains("labelSelector=app%3Ddswitch") || r.Contains("labelSelector=app=dswitch"));
    }
}
