using Xunit;

namespace Switch.Tests.Live;

/// <summary>Live tests share the host's network stack and the VXLAN UDP ports: one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveCollection
{
    public const string Name = "live";
}
