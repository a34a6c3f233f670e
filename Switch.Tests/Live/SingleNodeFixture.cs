using Xunit;

namespace Switch.Tests.Live;

/// <summary>
/// Host A (ds-lv-a, 10.66.1.1) and host B (ds-lv-b, 10.66.1.2) in namespaces of their own, each linked by a veth pair
/// to the root namespace, where a real `dswitch run` captures the root ends as ports 1 and 2 with the live firewall.
/// </summary>
public sealed class SingleNodeFixture : IAsyncLifetime
{
    public const string NsA = NetNs.Prefix + "-a", NsB = NetNs.Prefix + "-b";
    public const string IpA = "10.66.1.1", IpB = "10.66.1.2";
    private readonly string _dir = Directory.CreateTempSubdirectory("ds-lv-single-").FullName;
    public SwitchProcess? Switch { get; private set; }
    public string Api { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!NetNs.IsRoot) return;
        NetNs.CleanupLeftovers();
        try
        {
            NetNs.Host(NsA, NetNs.LinkPrefix + "a", IpA + "/24");
            NetNs.Host(NsB, NetNs.LinkPrefix + "b", IpB + "/24");
            File.WriteAllText(Path.Combine(_dir, "fw.flows"), LiveFlows.Firewall + "\n");
            File.WriteAllText(Path.Combine(_dir, "node.json"),
                "{\"name\":\"live1\",\"api\":\"https://127.0.0.1:0\"," + global::Switch.Testing.TestPki.SecurityJson + ",\"flows\":\"fw.flows\",\"ports\":{" +
                $"\"1\":{{\"interface\":\"{NetNs.LinkPrefix}a\",\"mtu\":1500}}," +
                $"\"2\":{{\"interface\":\"{NetNs.LinkPrefix}b\",\"mtu\":1500}}}}}}");
            Switch = new SwitchProcess(Path.Combine(_dir, "node.json"));
            Api = await Switch.Ready(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public Task DisposeAsync()
    {
        Switch?.Dispose();
        if (NetNs.IsRoot) NetNs.CleanupLeftovers();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }
}
