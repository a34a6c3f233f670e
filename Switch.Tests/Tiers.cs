namespace Switch.Tests;

/// <summary>
/// Test tiers, as xunit traits (<c>[Trait("Category", Tiers.Unit)]</c> on each test class), so a tier runs alone:
/// <c>dotnet test --filter Category=Unit</c> (pure core, control API and CLI in process: under a minute);
/// <c>Category=Cluster</c> (Akka.NET clusters inside the test process, real remoting on 127.0.0.1);
/// <c>Category=Process</c> (real <c>dswitch run</c> processes, PostgreSQL, SIGKILL, nftables);
/// <c>Category=Live</c> (root: libpcap on veth pairs in network namespaces; skipped when not root).
/// The README's test command runs them all.
/// </summary>
public static class Tiers
{
    public const string Unit = "Unit", Cluster = "Cluster", Process = "Process", Live = "Live";
}
