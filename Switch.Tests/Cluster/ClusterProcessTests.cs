using Switch.Testing;
using Switch.Node.Commands;
using Switch.Node.Control;
using Switch.Tests.Failover;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>Three real `dswitch run` processes forming a cluster on loopback, driven through `dswitch ctl`.</summary>
[Trait("Category", Tiers.Process)]
[Collection("cluster")]
public sealed class ClusterProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-cluster-").FullName;
    private readonly List<NodeProcess> _nodes = new();

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Ctl(params string[] args)
    {
        var o = new StringWriter(); var e = new StringWriter();
        int rc = CtlCommand.Run(args, o, e);
        Assert.True(rc == 0, $"ctl {string.Join(' ', args)} failed: {e}\nnode logs:\n{NodeProcess.Logs()}");
        return o.ToString();
    }

    [Fact]
    public async Task Three_processes_track_an_asymmetric_connection_as_one_entry()
    {
        int seedAkka = TestCluster.FreePort();
        string seed = $"akka.ssl.tcp://dswitch@127.0.0.1:{seedAkka}";
        for (int i = 1; i <= 3; i++)
            _nodes.Add(NodeProcess.Start(_dir, $"n{i}", i == 1 ? seedAkka : TestCluster.FreePort(), seed, null, "\"1\":{},\"2\":{}"));
        foreach (var n in _nodes) await n.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var nodes = _nodes;
        string s1 = nodes[0].Api, s3 = nodes[2].Api;
        var flows = Path.Combine(_dir, "fw.flows");
        File.WriteAllText(flows, SamplesCommand.Firewall);
        Ctl("--seed", s1, "add-flows", flows);
        // The flows reach every node (read through node 3), also a member that became Up after the change was made
        // (it gets them from the replicated flow set, moments later).
        Assert.Contains("ct(table=1,zone=1)", Ctl("--seed", s3, "dump-flows"));
        foreach (var n in nodes)
        {
            var until = DateTime.UtcNow.AddSeconds(15);
            while (!Ctl("--seed", n.Api, "dump-flows").Contains("ct(table=1,zone=1)") && DateTime.UtcNow < until) await Task.Delay(200);
            Assert.Contains("ct(table=1,zone=1)", Ctl("--seed", n.Api, "dump-flows"));
        }

        string Out(string node, byte[] frame) =>
            Ctl("--seed", s1, "packet-out", "--node", node, "in_port=" + (frame[11] == 0x0a ? 1 : 2), "packet=" + HexFrame.Format(frame));
        var a = Mac("02:00:00:00:00:0a"); var b = Mac("02:00:00:00:00:0b");
        Assert.Contains("ct_state=+new+trk ct_zone=1", Out("n1", TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 100, 0, dlSrc: a, dlDst: b)));
        Assert.Contains("ct_state=+est+rpl+trk ct_zone=1", Out("n2", TcpV4("10.0.0.2", "10.0.0.1", 80, 40000, Syn | Ack, 500, 101, dlSrc: b, dlDst: a)));
        Assert.Contains("ct_state=+est+trk ct_zone=1", Out("n3", TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Ack, 101, 501, dlSrc: a, dlDst: b)));

        var dump = Ctl("--seed", s3, "dump-conntrack").Trim().Split('\n');
        Assert.Equal("tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40000),zone=1,protoinfo=(state=ESTABLISHED)", Assert.Single(dump));
        var cluster = Ctl("--seed", s1, "cluster");
        Assert.Equal(3, cluster.Split('\n').Count(l => l.Contains(" Up ")));

        // Bad input through the CLI names the column; an unreachable seed says so.
        var err = new StringWriter();
        Assert.Equal(1, CtlCommand.Run(new[] { "--seed", s1, "add-flow", "ip,nw_dst=1.2.3 actions=drop" }, new StringWriter(), err));
        Assert.Contains("column 11", err.ToString());
        err = new StringWriter();
        Assert.Equal(1, CtlCommand.Run(new[] { "--seed", $"https://127.0.0.1:{TestCluster.FreePort()}", "cluster" }, new StringWriter(), err));
        Assert.Contains("cannot reach seed", err.ToString());

        Ctl("--seed", s1, "flush-conntrack", "zone=1");
        Assert.Equal("", Ctl("--seed", s3, "dump-conntrack").Trim());
    }

    /// <summary>The probe of the security issue: a foreign `dswitch run` pointed at a member's remoting port, with a
    /// certificate of its own CA and a flow to drop everything. It never joins, so its flow reaches nobody.</summary>
    [Fact]
    public async Task A_foreign_dswitch_run_cannot_join_the_cluster_or_push_a_flow()
    {
        int seedAkka = TestCluster.FreePort();
        string seed = $"akka.ssl.tcp://dswitch@127.0.0.1:{seedAkka}";
        for (int i = 1; i <= 2; i++)
            _nodes.Add(NodeProcess.Start(_dir, $"n{i}", i == 1 ? seedAkka : TestCluster.FreePort(), seed, null, "\"1\":{},\"2\":{}"));
        foreach (var n in _nodes) await n.WaitReadyAsync(TimeSpan.FromSeconds(60));
        await Eventually.Async(async () => Ctl("--seed", _nodes[0].Api, "cluster").Split('\n').Count(l => l.Contains(" Up ")) == 2, "the cluster did not form");

        var rogueDir = Path.Combine(_dir, "rogue-pki");
        Assert.Equal(0, SecurityCommand.Run(new[] { "init", "--out", rogueDir }, TextWriter.Null));
        File.WriteAllText(Path.Combine(_dir, "rogue.flows"), "table=0,priority=65535 actions=drop\n");
        using var rogue = NodeProcess.Start(_dir, "rogue", TestCluster.FreePort(), seed, null, "\"1\":{}",
            extraJson: "\"flows\": \"rogue.flows\"", securityDir: rogueDir);
        _nodes.Add(rogue);
        // A member prints its ready line once it is Up in the cluster: the rogue never does.
        await Assert.ThrowsAnyAsync<Exception>(() => rogue.WaitReadyAsync(TimeSpan.FromSeconds(15)));
        var members = Ctl("--seed", _nodes[0].Api, "cluster");
        Assert.DoesNotContain("rogue", members);
        Assert.Equal(2, members.Split('\n').Count(l => l.Contains(" Up ")));
        Assert.DoesNotContain("priority=65535", Ctl("--seed", _nodes[1].Api, "dump-flows"));
    }
}
