using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>Cluster formation through Akka.Management bootstrap and the Kubernetes API discovery code path.</summary>
[Trait("Category", Tiers.Process)]
[Collection(BootstrapClusterCollection.Name)]
public sealed class KubernetesBootstrapTests
{
    private readonly BootstrapCluster _c;
    public KubernetesBootstrapTests(BootstrapCluster c) => _c = c;

    [Fact]
    public void More_hosts_than_requiredContactPoints_form_one_cluster_and_a_late_lowest_pod_joins_it()
    {
        Assert.True(_c.Nodes.Count > _c.RequiredContactPoints);
        var leader = _c.Nodes[0].Cluster.State.Leader;
        Assert.NotNull(leader);
        foreach (var n in _c.Nodes)
        {
            Assert.Equal(3, n.Cluster.State.Members.Count(m => m.Status == Akka.Cluster.MemberStatus.Up));
            Assert.Equal(leader, n.Cluster.State.Leader); // one cluster, not two
        }
        // n1 has the lowest contact point but started last: it joined the cluster n2 and n3 had formed (the oldest
        // member is one of them) instead of forming its own.
        var members = _c.Nodes[0].Cluster.State.Members;
        var oldest = members.Aggregate((a, b) => a.IsOlderThan(b) ? a : b);
        Assert.NotEqual(_c.Nodes[0].Cluster.SelfAddress, oldest.Address);
    }

    [Fact]
    public void Discovery_lists_pods_by_label_in_the_namespace_with_the_service_account_token()
    {
        Assert.NotEmpty(_c.Api.Requests);
        Assert.All(_c.Api.Requests, r => Assert.StartsWith($"/api/v1/namespaces/{BootstrapCluster.Namespace}/pods?", r));
        Assert.Contains(_c.Api.Requests, r => r.Contains("labelSelector=app%3Ddswitch") || r.Contains("labelSelector=app=dswitch"));
    }
}
