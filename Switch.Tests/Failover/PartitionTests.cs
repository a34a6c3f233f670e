using Switch.Testing;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Switch.Contracts.Control;
using Switch.Node.Control;
using Switch.Tests.Live;
using Xunit;
using Xunit.Abstractions;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Failover;

/// <summary>
/// A network partition between three real `dswitch run` processes sharing a SQLite journal. Each node runs in a
/// network namespace of its own (ds-pt-1..3, eth0 = 10.71.0.N), all joined by a bridge in a hub namespace (ds-pt-hub);
/// the test process reaches every node's control API through a veth from the root namespace (10.71.0.254).
/// The partition is an nftables table in the isolated node's namespace that drops every packet from and to the two
/// other nodes (input and output hooks), so the cut is total in both directions while the test can still ask the
/// isolated node. The isolated node keeps access to the journal file, as a real switch cut off from its peers keeps
/// access to a database on another network: only the split-brain resolver stands between it and a second owner.
/// </summary>
[Trait("Category", Tiers.Process)]
[Collection("cluster")]
public sealed class PartitionTests : IDisposable
{
    private const string NsPrefix = "ds-pt", LinkPrefix = "dspt", Hub = NsPrefix + "-hub", Subnet = "10.71.0.";
    private const int AkkaPort = 4053, ApiPort = 8080, Conns = 150;
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-partition-").FullName;
    private readonly List<NodeProcess> _nodes = new();
    private readonly ITestOutputHelper _out;

    public PartitionTests(ITestOutputHelper output) => _out = output;

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        if (NetNs.IsRoot) NetNs.CleanupLeftovers(NsPrefix, LinkPrefix);
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string NodeNs(int i) => $"{NsPrefix}-{i}";
    private static string NodeIp(int i) => Subnet + i;

    /// <summary>The hub namespace with bridge br0, one namespace per node with eth0 on the bridge, and the root
    /// namespace's own port on the bridge at .254.</summary>
    private static void BuildNetwork()
    {
        NetNs.CleanupLeftovers(NsPrefix, LinkPrefix);
        NetNs.Ip("netns", "add", Hub);
        NetNs.Ip("-n", Hub, "link", "set", "lo", "up");
        NetNs.Ip("-n", Hub, "link", "add", "br0", "type", "bridge");
        NetNs.Ip("-n", Hub, "link", "set", "br0", "up");
        for (int i = 1; i <= 3; i++)
        {
            NetNs.Host(NodeNs(i), $"{LinkPrefix}{i}", NodeIp(i) + "/24", switchNs: Hub);
            NetNs.Ip("-n", Hub, "link", "set", $"{LinkPrefix}{i}", "master", "br0");
        }
        NetNs.Ip("link", "add", LinkPrefix + "r", "type", "veth", "peer", "name", LinkPrefix + "rb");
        NetNs.Ip("link", "set", LinkPrefix + "rb", "netns", Hub);
        NetNs.Ip("-n", Hub, "link", "set", LinkPrefix + "rb", "master", "br0");
        NetNs.Ip("-n", Hub, "link", "set", LinkPrefix + "rb", "up");
        NetNs.Ip("addr", "add", Subnet + "254/24", "dev", LinkPrefix + "r");
        NetNs.Ip("link", "set", LinkPrefix + "r", "up");
    }

    /// <summary>Drops everything from and to the other two nodes inside node <paramref name="i"/>'s namespace.</summary>
    private void Isolate(int i)
    {
        var others = string.Join(", ", Enumerable.Range(1, 3).Where(j => j != i).Select(NodeIp));
        var rules = Path.Combine(_dir, "partition.nft");
        File.WriteAllText(rules, $$"""
            table inet dspartition {
              chain in { type filter hook input priority 0; policy accept; ip saddr { {{others}} } drop; }
              chain out { type filter hook output priority 0; policy accept; ip daddr { {{others}} } drop; }
            }
            """);
        var (code, output) = NetNs.In(NodeNs(i), "nft", "-f", rules);
        if (code != 0) throw new InvalidOperationException($"nft failed ({code}): {output} (install nftables)");
    }

    private static readonly string[] Flows = Switch.Testing.TestFlows.Firewall;

    private static string Client(int i) => $"10.{1 + i / 250}.{i % 250}.1";
    private static ushort Sport(int i) => (ushort)(30000 + i);
    private const string Server = "172.16.0.2";
    /// <summary>The next packet of connection i from the client: established, in window.</summary>
    private static byte[] Next(int i) => TcpV4(Client(i), Server, Sport(i), 80, Psh | Ack, 101, 901, "ok"u8);

    private static async Task<List<PacketOutFrame>> Out(ControlClient c, string node, uint port, IEnumerable<byte[]> frames)
    {
        var list = frames.Select(f => HexFrame.Format(f)).ToList();
        var all = new List<PacketOutFrame>();
        for (int i = 0; i < list.Count; i += 50)
            all.AddRange((await c.PacketOutAsync(new PacketOutRequest(node, port, list.Skip(i).Take(50).ToList()))).Frames);
        return all;
    }

    /// <summary>TCP handshakes, each packet entering a different node: every connection ends committed and established.
    /// A packet whose answer timed out (the journal is slow while three processes start on one SQLite file) is sent
    /// again, as a TCP stack would retransmit it.</summary>
    private async Task CommitAll(ControlClient c)
    {
        await Decide(c, "n2", 1, i => TcpV4(Client(i), Server, Sport(i), 80, Syn, 100), "+new+trk");
        await Decide(c, "n3", 2, i => TcpV4(Server, Client(i), 80, Sport(i), Syn | Ack, 900, 101), "+est+rpl+trk");
        await Decide(c, "n1", 1, i => TcpV4(Client(i), Server, Sport(i), 80, Ack, 101, 901), "+est+trk");
    }

    private async Task Decide(ControlClient c, string node, uint port, Func<int, byte[]> frame, string expected)
    {
        var sw = Stopwatch.StartNew();
        var pending = Enumerable.Range(0, Conns).ToList();
        for (int round = 1; pending.Count > 0; round++)
        {
            Assert.True(round <= 3, $"{pending.Count} packets on {node} port {port} still unanswered after 3 tries\n{NodeProcess.Logs()}");
            var got = await Out(c, node, port, pending.Select(frame));
            var retry = new List<int>();
            for (int k = 0; k < pending.Count; k++)
                if (got[k].Drop?.Contains("ct_timeout") == true) retry.Add(pending[k]);
                else Assert.Equal(expected, got[k].CtState + got[k].Drop);
            pending = retry;
        }
        _out.WriteLine($"  {expected} on {node} port {port}: {sw.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<int> Status(string url, TimeSpan timeout)
    {
        using var http = global::Switch.Testing.TestPki.Http(null, null, timeout);
        try { return (int)(await http.GetAsync(url)).StatusCode; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return 0; }
    }

    [LiveFact]
    public Task Keep_majority_downs_the_isolated_node_and_no_connection_gets_two_owners() =>
        Partition($$"""{ "provider": "sqlite", "connectionString": "Data Source={{Path.Combine(_dir, "journal.db")}}" }""");

    /// <summary>The shipped default: no journal, every connection on its owner and one replica. The isolated node, cut
    /// off from the majority, must not commit new connections (it cannot reach a majority, so it answers no change)
    /// while the majority takes its shards over from their replicas.</summary>
    [LiveFact]
    public Task With_replicas_the_isolated_node_commits_nothing_and_the_majority_takes_over_from_memory() => Partition(null);

    /// <summary>New connections offered to the isolated node right after the cut: how many went out committed (the
    /// flows commit every new connection before they output it), and what the others got.</summary>
    private static async Task<(int Committed, string States)> OfferNew(ControlClient vc, string node)
    {
        try
        {
            var got = await Out(vc, node, 1, Enumerable.Range(0, 20).Select(i => TcpV4("10.200.0." + (i + 1), Server, 40000, 80, Syn, 1)));
            return (got.Count(f => f.Drop is null), string.Join(", ", got.Select(f => f.CtState + (f.Drop is null ? " out" : " " + f.Drop)).Distinct()));
        }
        catch (Exception e) when (e is ControlClientException or HttpRequestException or TaskCanceledException) { return (0, "refused: " + e.Message); }
    }

    private async Task Partition(string? persistence)
    {
        var total = Stopwatch.StartNew();
        BuildNetwork();
        string seed = $"akka.ssl.tcp://dswitch@{NodeIp(1)}:{AkkaPort}";
        for (int i = 1; i <= 3; i++)
            _nodes.Add(NodeProcess.Start(_dir, $"n{i}", AkkaPort, seed, persistence, "\"1\":{},\"2\":{}", NodeIp(i), NodeNs(i), ApiPort));
        foreach (var n in _nodes) await n.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var c1 = global::Switch.Testing.TestPki.Client(_nodes[0].Api, TimeSpan.FromSeconds(60));
        var status = await c1.ClusterAsync();
        Assert.Equal(3, status.Members.Count(m => m.Status == "Up"));
        await c1.AddFlowsAsync(new AddFlowsRequest(Flows));
        var commit = Stopwatch.StartNew();
        try { await CommitAll(c1); }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException) { throw new InvalidOperationException("commit failed; node logs:\n" + NodeProcess.Logs(), e); }
        _out.WriteLine($"cluster up and flows in after {total.Elapsed.TotalSeconds - commit.Elapsed.TotalSeconds:F1} s; committed {Conns} TCP connections in {commit.Elapsed.TotalSeconds:F1} s");

        // Cut off the node that owns the most connections (so the majority must take over the most state).
        status = await c1.ClusterAsync();
        _out.WriteLine("connections per node: " + string.Join(", ", status.Members.Select(m => $"{m.Name}={m.Connections}")));
        var owner = status.Members.OrderByDescending(m => m.Connections).First();
        int vi = int.Parse(owner.Name[1..]);
        var victim = _nodes[vi - 1];
        var survivors = _nodes.Where(n => n != victim).ToList();
        using var sc = global::Switch.Testing.TestPki.Client(survivors[0].Api, TimeSpan.FromSeconds(15));
        using var vc = global::Switch.Testing.TestPki.Client(victim.Api, TimeSpan.FromSeconds(10));
        Assert.Equal(200, await Status(victim.Api + "/health/ready", TimeSpan.FromSeconds(5)));
        Assert.Equal(3, (await sc.ClusterAsync()).Members.Count(m => m.Status == "Up"));

        var sw = Stopwatch.StartNew();
        Isolate(vi);
        _out.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s: {owner.Name} ({owner.Connections} connections) cut off from the others");
        // Without a journal only the replicas hold state, and a change is answered only with a majority reachable.
        // (A journaled cluster's isolated node can still write the journal until it downs itself; the journal rules.)
        var offered = persistence is null ? OfferNew(vc, owner.Name) : Task.FromResult((0, "not offered (journal)"));

        // Each side watched on its own (a majority /cluster call can wait 5 s for the unreachable member): the victim until
        // its readiness probe fails, the majority until it lists two Up members without the victim.
        var limit = TimeSpan.FromSeconds(45);
        string lastMajority = "";
        var victimTask = Task.Run(async () =>
        {
            while (sw.Elapsed < limit)
            {
                if (await Status(victim.Api + "/health/ready", TimeSpan.FromSeconds(2)) != 200) return (TimeSpan?)sw.Elapsed;
                await Task.Delay(100);
            }
            return null;
        });
        var majorityTask = Task.Run(async () =>
        {
            while (sw.Elapsed < limit)
            {
                try
                {
                    var s = await sc.ClusterAsync();
                    var view = string.Join(", ", s.Members.Select(m => $"{m.Name}:{m.Status}"));
                    if (view != lastMajority) _out.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s: majority sees {view}");
                    lastMajority = view;
                    if (s.Members.Count == 2 && s.Members.All(m => m.Status == "Up" && m.Address != owner.Address)) return (TimeSpan?)sw.Elapsed;
                }
                catch (ControlClientException e) { _out.WriteLine($"{sw.Elapsed.TotalSeconds:F1} s: majority /cluster: {e.Message}"); }
                await Task.Delay(100);
            }
            return null;
        });
        var victimUnready = await victimTask;
        var (committed, offeredStates) = await offered;
        _out.WriteLine($"20 new connections offered to {owner.Name} after the cut: {committed} committed; {offeredStates}");
        Assert.Equal(0, committed);
        if (victimUnready is not null) _out.WriteLine($"{victimUnready.Value.TotalSeconds:F1} s: {owner.Name} /health/ready no longer 200 (process exited: {victim.Process.HasExited})");
        var majorityDown = await majorityTask;
        Assert.True(majorityDown is not null, $"the majority still lists {lastMajority} 45 s after the partition\n{NodeProcess.Logs()}");
        Assert.True(victimUnready is not null, $"{owner.Name} still reports ready 45 s after the partition\n{NodeProcess.Logs()}");

        // Every committed connection answers +est through a majority node (retrying answers lost to the takeover).
        var pending = Enumerable.Range(0, Conns).ToList();
        var wrong = new List<string>();
        while (pending.Count > 0 && sw.Elapsed < TimeSpan.FromSeconds(75))
        {
            var got = await Out(sc, survivors[0].Name, 1, pending.Select(Next));
            var retry = new List<int>();
            for (int k = 0; k < pending.Count; k++)
            {
                var f = got[k];
                if (f.Drop is not null && f.Drop.Contains("ct_timeout")) retry.Add(pending[k]);
                else if (f.CtState != "+est+trk") wrong.Add($"conn {pending[k]}: {f.CtState} {f.Drop}");
            }
            pending = retry;
        }
        var allCorrect = sw.Elapsed;
        Assert.True(wrong.Count == 0, $"{wrong.Count} connections answered wrongly: {string.Join("; ", wrong.Take(5))}");
        Assert.True(pending.Count == 0, $"{pending.Count} connections still unanswered 75 s after the partition");

        // One owner each: the cluster's dump lists every connection exactly once, and nothing else.
        var dump = await sc.DumpConntrackAsync(1);
        var tuple = new Regex(@"orig=\(src=([0-9.]+),dst=[0-9.]+,sport=(\d+),");
        var counts = dump.Select(l => tuple.Match(l)).Where(m => m.Success).GroupBy(m => $"{m.Groups[1].Value}:{m.Groups[2].Value}")
            .ToDictionary(g => g.Key, g => g.Count());
        var missing = Enumerable.Range(0, Conns).Where(i => !counts.ContainsKey($"{Client(i)}:{Sport(i)}")).ToList();
        var twice = counts.Where(kv => kv.Value > 1).Select(kv => kv.Key).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} connections missing from the dump");
        Assert.True(twice.Count == 0, $"connections with two owners: {string.Join(", ", twice.Take(5))}");
        Assert.Equal(Conns, dump.Count);
        var members = await sc.ClusterAsync();
        Assert.Equal(Conns, members.Members.Sum(m => m.Connections));
        Assert.DoesNotContain(members.Members, m => m.Address == owner.Address);

        // The isolated node answers no conntrack decision any more, and is not ready.
        int answered = 0;
        string how;
        try
        {
            var got = await Out(vc, owner.Name, 1, Enumerable.Range(0, Conns).Select(Next));
            answered = got.Count(f => f.CtState.Contains("trk"));
            how = $"packet-out answered, {answered} frames with a ct_state; drops: {string.Join(", ", got.Select(f => f.Drop).Distinct())}";
        }
        catch (Exception e) when (e is ControlClientException or HttpRequestException or TaskCanceledException) { how = "packet-out refused: " + e.Message; }
        _out.WriteLine($"{owner.Name} after the partition: {how}");
        Assert.Equal(0, answered);
        int ready = await Status(victim.Api + "/health/ready", TimeSpan.FromSeconds(5));
        int live = await Status(victim.Api + "/health/live", TimeSpan.FromSeconds(5));
        _out.WriteLine($"{owner.Name}: /health/ready {(ready == 0 ? "unreachable" : ready.ToString())}, /health/live {(live == 0 ? "unreachable" : live.ToString())}, process exited: {victim.Process.HasExited}");
        Assert.NotEqual(200, ready);

        var line = $"partition ({owner.Name} with {owner.Connections} of {Conns} connections cut off): minority unready after {victimUnready!.Value.TotalSeconds:F1} s, " +
            $"majority down to 2 Up members after {majorityDown!.Value.TotalSeconds:F1} s, all {Conns} connections +est through {survivors[0].Name} after {allCorrect.TotalSeconds:F1} s; " +
            $"test {total.Elapsed.TotalSeconds:F0} s";
        _out.WriteLine(line);
        Console.WriteLine(line);
    }
}
