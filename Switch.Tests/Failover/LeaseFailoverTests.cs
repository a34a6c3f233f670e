using Switch.Testing;
using System.Diagnostics;
using Switch.Contracts.Control;
using Switch.Node.Control;
using Xunit;
using Xunit.Abstractions;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Failover;

/// <summary>
/// The fast path under node loss: three real `dswitch` processes with a SQLite journal; TCP connections whose every
/// packet entered node 1, so node 1 holds a lease on each and decides them itself. Then SIGKILL the lease holder, or
/// separately a node hosting entities whose connections are lent to node 1: every committed connection still
/// answers +est (mark intact) through a survivor.
/// </summary>
[Trait("Category", Tiers.Process)]
[Collection("cluster")]
public sealed class LeaseFailoverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-lease-").FullName;
    private readonly List<NodeProcess> _nodes = new();
    private readonly ITestOutputHelper _out;

    public LeaseFailoverTests(ITestOutputHelper output) => _out = output;

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static readonly string[] Flows =
    {
        "table=0,priority=10,ip actions=ct(table=1,zone=2)",
        "table=1,priority=20,in_port=3,ip,ct_state=+trk+new actions=ct(commit,zone=2,exec(set_field:0x2->ct_mark)),output:4",
        "table=1,priority=10,in_port=3,ct_state=+trk+est actions=output:4",
        "table=1,priority=10,in_port=4,ct_state=+trk+est actions=output:3",
        "table=1,priority=1 actions=drop",
    };

    private const int Conns = 150;
    private static string Client(int i) => $"10.{1 + i / 250}.{i % 250}.7";
    private static byte[] SynOut(int i) => TcpV4(Client(i), "172.16.0.9", (ushort)(30000 + i), 80, Syn, 100);
    private static byte[] SynAck(int i) => TcpV4("172.16.0.9", Client(i), 80, (ushort)(30000 + i), Syn | Ack, 900, 101);
    private static byte[] AckOut(int i) => TcpV4(Client(i), "172.16.0.9", (ushort)(30000 + i), 80, Ack, 101, 901);
    private static byte[] DataOut(int i, uint n) => TcpV4(Client(i), "172.16.0.9", (ushort)(30000 + i), 80, Psh | Ack, 101 + 10 * n, 901, new byte[10]);

    private async Task<ControlClient> CommitThroughNode1()
    {
        int seedPort = Cluster.TestCluster.FreePort();
        string seed = $"akka.ssl.tcp://dswitch@127.0.0.1:{seedPort}";
        string journal = $$"""{ "provider": "sqlite", "connectionString": "Data Source={{Path.Combine(_dir, "journal.db")}}" }""";
        for (int i = 1; i <= 3; i++)
            _nodes.Add(NodeProcess.Start(_dir, $"n{i}", i == 1 ? seedPort : Cluster.TestCluster.FreePort(), seed, journal));
        foreach (var n in _nodes) await n.WaitReadyAsync(TimeSpan.FromSeconds(90));
        var c = global::Switch.Testing.TestPki.Client(_nodes[0].Api, TimeSpan.FromSeconds(120));
        await c.AddFlowsAsync(new AddFlowsRequest(Flows));
        var sw = Stopwatch.StartNew();
        Assert.All(await FailoverTests.Out(c, "n1", 3, Enumerable.Range(0, Conns).Select(SynOut)), f => Assert.Equal("+new+trk", f.CtState));
        Assert.All(await FailoverTests.Out(c, "n1", 4, Enumerable.Range(0, Conns).Select(SynAck)), f => Assert.Equal("+est+rpl+trk", f.CtState));
        Assert.All(await FailoverTests.Out(c, "n1", 3, Enumerable.Range(0, Conns).Select(AckOut)), f => Assert.Equal("+est+trk", f.CtState));
        Assert.All(await FailoverTests.Out(c, "n1", 3, Enumerable.Range(0, Conns).Select(i => DataOut(i, 0))), f => Assert.Equal("+est+trk", f.CtState));
        _out.WriteLine($"committed {Conns} connections through n1 in {sw.Elapsed.TotalSeconds:F1} s");
        // The reports of state changes reach their entities' journals in the background.
        await Task.Delay(2000);
        var status = await c.ClusterAsync();
        _out.WriteLine(string.Join(", ", status.Members.Select(m => $"{m.Name}: {m.Connections} entities, {m.Leases} leases")));
        Assert.Equal(Conns, status.Members.Single(m => m.Name == "n1").Leases);
        return c;
    }

    /// <summary>The next data segment of every connection through <paramref name="via"/> until each is +est with its
    /// mark; an answer lost with the dead node (ct_timeout) is asked again. Returns the count never right.</summary>
    private async Task<int> NextPacketOfEach(NodeProcess via, uint round, TimeSpan deadline)
    {
        using var c = global::Switch.Testing.TestPki.Client(via.Api, TimeSpan.FromSeconds(60));
        var pending = Enumerable.Range(0, Conns).ToList();
        var sw = Stopwatch.StartNew();
        int wrong = 0;
        while (pending.Count > 0 && sw.Elapsed < deadline)
        {
            var got = await FailoverTests.Out(c, via.Name, 3, pending.Select(i => DataOut(i, round)));
            var retry = new List<int>();
            for (int k = 0; k < pending.Count; k++)
            {
                var f = got[k];
                if (f.Drop is not null && f.Drop.Contains("ct_timeout")) { retry.Add(pending[k]); continue; }
                if (f.CtState != "+est+trk" || f.CtMark != 2)
                    if (wrong++ < 5) _out.WriteLine($"connection {pending[k]}: {f.CtState} mark {f.CtMark} {f.Drop}");
            }
            pending = retry;
        }
        _out.WriteLine($"through {via.Name}: all answered after {sw.Elapsed.TotalSeconds:F1} s, {pending.Count} unanswered, {wrong} wrong");
        return wrong + pending.Count;
    }

    [Fact]
    public async Task Sigkill_of_the_lease_holder_loses_no_connection()
    {
        using var c = await CommitThroughNode1();
        _nodes[0].Process.Kill(entireProcessTree: true);
        int lost = await NextPacketOfEach(_nodes[1], 1, TimeSpan.FromSeconds(120));
        Console.WriteLine($"lease holder SIGKILLed: lost {lost}");
        Assert.True(lost == 0, $"lost {lost}\n" + NodeProcess.Logs());
    }

    [Fact]
    public async Task Sigkill_of_an_entity_node_while_its_connections_are_lent_loses_no_connection()
    {
        using var c = await CommitThroughNode1();
        var status = await c.ClusterAsync();
        var victim = status.Members.Where(m => m.Name != "n1").OrderByDescending(m => m.Connections).First();
        _out.WriteLine($"killing {victim.Name} ({victim.Connections} entities whose connections n1 holds)");
        _nodes.Single(n => n.Name == victim.Name).Process.Kill(entireProcessTree: true);
        // Through the holder: its leases from the dead node die; those connections come back from the journal.
        int lost = await NextPacketOfEach(_nodes[0], 1, TimeSpan.FromSeconds(120));
        Console.WriteLine($"entity node SIGKILLed: lost {lost}");
        Assert.True(lost == 0, $"lost {lost}\n" + NodeProcess.Logs());
    }
}
