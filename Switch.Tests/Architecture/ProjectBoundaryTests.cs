using System.Reflection;
using Xunit;

namespace Switch.Tests.Architecture;

/// <summary>The projects say the architecture: the pure core and the shared contracts reference no Akka, no
/// serializer and no web framework, so what runs a packet can be tested and reused without a cluster.</summary>
[Trait("Category", Tiers.Unit)]
public class ProjectBoundaryTests
{
    private static readonly string[] Forbidden = { "Akka", "Hyperion", "Microsoft.AspNetCore", "prometheus", "Npgsql", "linq2db" };

    [Theory]
    [InlineData(typeof(Switch.Core.Conntrack.ConntrackEngine), "Switch.Core")]
    [InlineData(typeof(Switch.Contracts.IClock), "Switch.Contracts")]
    public void The_core_and_the_contracts_reference_no_framework(Type anyType, string assembly)
    {
        var a = anyType.Assembly;
        Assert.Equal(assembly, a.GetName().Name);
        var refs = a.GetReferencedAssemblies().Select(r => r.Name!).ToList();
        Assert.DoesNotContain(refs, r => Forbidden.Any(f => r.StartsWith(f, StringComparison.OrdinalIgnoreCase)));
        Assert.DoesNotContain(refs, r => r is "Switch.Actors" or "dswitch");
    }

    [Fact]
    public void The_core_holds_packets_datapath_conntrack_and_ports_and_the_actor_project_none_of_them()
    {
        var core = typeof(Switch.Core.Conntrack.ConntrackEngine).Assembly;
        Assert.Equal(new[] { "Switch.Core.Conntrack", "Switch.Core.Datapath", "Switch.Core.Packets", "Switch.Core.Ports" },
            core.GetTypes().Select(t => t.Namespace).Where(n => n is not null && n.StartsWith("Switch.", StringComparison.Ordinal))
                .Distinct().Order(StringComparer.Ordinal));
        var actors = typeof(Switch.Actors.Cluster.FlowManager).Assembly;
        Assert.DoesNotContain(actors.GetTypes(), t => t.Namespace?.StartsWith("Switch.Core", StringComparison.Ordinal) == true);
    }
}
