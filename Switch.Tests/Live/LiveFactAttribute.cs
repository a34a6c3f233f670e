using Xunit;

namespace Switch.Tests.Live;

/// <summary>A live-network test: it creates namespaces and captures on interfaces, so it needs root and is skipped
/// otherwise (CI runs as root, so there it runs).</summary>
public sealed class LiveFactAttribute : FactAttribute
{
    public LiveFactAttribute()
    {
        if (!NetNs.IsRoot) Skip = "live network tests need root (namespaces, veth, packet capture)";
    }
}
