using Xunit;

namespace Switch.Tests.Live;

/// <summary>
/// Two `dswitch run` cluster members (Akka over loopback, conntrack sharded across both) joined by VXLAN on loopback:
/// host A (ds-lv-a2, 10.66.2.1) behind node 1's live port 1, host B (ds-lv-b2, 10.66.2.2) behind node 2's live port 2.
/// Each node knows the other's port as a remote port through its VXLAN port 10.
/// </summary>
public sealed class TwoNodeFixture : IAsyncLifetime
{
    public const string NsA = NetNs.Prefix + "-a2", NsB = NetNs.Prefix + "-b2";
    public const string IpA = "10.66.2.1", IpB = "10.66.2.2";
    private const int Akka1 = 47953, Akka2 = 47954, Vx1 = 47981, Vx2 = 47982;
    private readonly string _dir = Directory.CreateTempSubdirectory("ds-lv-two-").FullName;
    public SwitchProcess? Node1 { get; private set; }
    public SwitchProcess? Node2 { get; private set; }
    public string Api1 { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (!NetNs.IsRoot) return;
        NetNs.CleanupLeftovers();
        try
        {
            NetNs.Host(NsA, NetNs.LinkPrefix + "a2", IpA + "/24");
            NetNs.Host(NsB, NetNs.LinkPrefix + "b2", IpB + "/24");
            File.WriteAllText(Path.Combine(_dir, "fw.flows"), LiveFlows.Firewall + "\n");
            var seed = $"\"akka.tcp://dswitch@127.0.0.1:{Akka1}\"";
            Write("n1.json", "n1", "\"flows\":\"fw.flows\",", Akka1, seed, 1, "a2", Vx1, 2, Vx2);
            Write("n2.json", "n2", "", Akka2, seed, 2, "b2", Vx2, 1, Vx1);
            Node1 = new SwitchProcess(Path.Combine(_dir, "n1.json"));
            Api1 = await Node1.Ready(TimeSpan.FromSeconds(40));
            Node2 = new SwitchProcess(Path.Combine(_dir, "n2.json"));
            await Node2.Ready(TimeSpan.FromSeconds(40));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private void Write(string file, string name, string flows, int akka, string seed, int local, string link, int vx, int remote, int remoteVx) =>
        File.WriteAllText(Path.Combine(_dir, file),
            $"{{\"name\":\"{name}\",\"api\":\"http://127.0.0.1:0\",{flows}" +
            $"\"cluster\":{{\"host\":\"127.0.0.1\",\"port\":{akka},\"seeds\":[{seed}],\"shards\":10}}," +
            $"\"ports\":{{\"{local}\":{{\"interface\":\"{NetNs.LinkPrefix}{link}\",\"mtu\":1500}}," +
            $"\"10\":{{\"vxlan\":{{\"local\":\"127.0.0.1:{vx}\",\"vni\":0}}}}," +
            $"\"{remote}\":{{\"remote\":\"127.0.0.1:{remoteVx}\",\"tunnel\":10,\"mtu\":1500}}}}}}");

    public Task DisposeAsync()
    {
        Node2?.Dispose();
        Node1?.Dispose();
        if (NetNs.IsRoot) NetNs.CleanupLeftovers();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }
}
