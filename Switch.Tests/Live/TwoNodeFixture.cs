using Xunit;

namespace Switch.Tests.Live;

/// <summary>
/// Two `dswitch run` cluster members (conntrack sharded across both), each in a network namespace of its own:
/// node 1 in ds-lv-sw1 holds the switch end of host A's veth (A: ds-lv-a2, 10.66.2.1) as live port 1, node 2 in ds-lv-sw2
/// the switch end of host B's (B: ds-lv-b2, 10.66.2.2) as live port 2. The switch namespaces are joined by a veth pair,
/// 10.70.0.1/30 (sw1) to 10.70.0.2/30 (sw2), which carries VXLAN, Akka remoting and the control API: each node binds all
/// three to its address there. Each node knows the other's port as a remote port through its VXLAN port 10.
/// The test process stays in the root namespace; it reaches the control API through `ip netns exec` (see <see cref="Ctl"/>).
/// </summary>
public sealed class TwoNodeFixture : IAsyncLifetime
{
    public const string NsA = NetNs.Prefix + "-a2", NsB = NetNs.Prefix + "-b2";
    public const string NsSw1 = NetNs.Prefix + "-sw1", NsSw2 = NetNs.Prefix + "-sw2";
    public const string IpA = "10.66.2.1", IpB = "10.66.2.2";
    public const string Underlay1 = "10.70.0.1", Underlay2 = "10.70.0.2";
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
            NetNs.Pair(NsSw1, NetNs.LinkPrefix + "s1", Underlay1 + "/30", NsSw2, NetNs.LinkPrefix + "s2", Underlay2 + "/30");
            NetNs.Host(NsA, NetNs.LinkPrefix + "a2", IpA + "/24", switchNs: NsSw1);
            NetNs.Host(NsB, NetNs.LinkPrefix + "b2", IpB + "/24", switchNs: NsSw2);
            File.WriteAllText(Path.Combine(_dir, "fw.flows"), LiveFlows.Firewall + "\n");
            var seed = $"\"akka.ssl.tcp://dswitch@{Underlay1}:{Akka1}\"";
            Write("n1.json", "n1", "\"flows\":\"fw.flows\",", Underlay1, Akka1, seed, 1, "a2", Vx1, 2, Underlay2, Vx2);
            Write("n2.json", "n2", "", Underlay2, Akka2, seed, 2, "b2", Vx2, 1, Underlay1, Vx1);
            Node1 = new SwitchProcess(Path.Combine(_dir, "n1.json"), NsSw1);
            Api1 = await Node1.Ready(TimeSpan.FromSeconds(40));
            Node2 = new SwitchProcess(Path.Combine(_dir, "n2.json"), NsSw2);
            await Node2.Ready(TimeSpan.FromSeconds(40));
            await WarmUp(TimeSpan.FromSeconds(20));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private void Write(string file, string name, string flows, string ip, int akka, string seed, int local, string link, int vx,
        int remote, string remoteIp, int remoteVx) =>
        File.WriteAllText(Path.Combine(_dir, file),
            $"{{\"name\":\"{name}\",\"api\":\"https://{ip}:0\",{(global::Switch.Testing.TestPki.SecurityJson)},{flows}" +
            $"\"cluster\":{{\"host\":\"{ip}\",\"port\":{akka},\"seeds\":[{seed}],\"shards\":10}}," +
            $"\"ports\":{{\"{local}\":{{\"interface\":\"{NetNs.LinkPrefix}{link}\",\"mtu\":1500}}," +
            $"\"10\":{{\"vxlan\":{{\"local\":\"{ip}:{vx}\",\"vni\":0}}}}," +
            $"\"{remote}\":{{\"remote\":\"{remoteIp}:{remoteVx}\",\"tunnel\":10,\"mtu\":1500}}}}}}");

    /// <summary>Ready means each node's API is up, not that the cluster has converged (membership, the flow singleton,
    /// conntrack shards): until it has, A's first packets across can be lost. Waits until one ping A to B gets through.</summary>
    private async Task WarmUp(TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var (code, output) = Traffic.Ping(NsA, IpB, count: 1);
            if (code == 0) { Console.Error.WriteLine($"two-node warm-up: A reached B after {sw.ElapsedMilliseconds} ms"); return; }
            if (DateTime.UtcNow > until)
                throw new InvalidOperationException($"A never reached B: {output}\n--- n1 log:\n{Node1?.Log}\n--- n2 log:\n{Node2?.Log}");
            await Task.Delay(250);
        }
    }

    /// <summary>`dswitch ctl --seed (node 1's API) …` run inside node 1's namespace, where that API is reachable.</summary>
    public string Ctl(params string[] args)
    {
        var dll = typeof(Switch.Node.Program).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return NetNs.In(NsSw1, [dotnet, dll, "ctl", "--seed", Api1, .. args]).Output;
    }

    public Task DisposeAsync()
    {
        Node2?.Dispose();
        Node1?.Dispose();
        if (NetNs.IsRoot) NetNs.CleanupLeftovers();
        Directory.Delete(_dir, true);
        return Task.CompletedTask;
    }
}
