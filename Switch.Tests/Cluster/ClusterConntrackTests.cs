using Akka.Actor;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Node.Commands;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public class ClusterConntrackTests
{
    private static readonly string[] Firewall =
    {
        "table=0,priority=10,ip actions=ct(table=1,zone=1)",
        "table=1,priority=20,ip,ct_state=+trk+new actions=ct(commit,zone=1),output:2",
        "table=1,priority=20,ip,ct_state=+trk+est actions=output:2",
        "table=1,priority=20,ip,ct_state=+trk+rel actions=output:2",
        "table=1,priority=1 actions=drop",
    };

    private static string Flags(InjectedFrame f) => CtStateBits.Format(f.CtState);

    [Fact]
    public async Task Asymmetric_tcp_across_three_nodes_is_one_connection()
    {
        await using var c = await TestCluster.StartAsync(3);
        var r = await c.AddFlowsAsync(1, Firewall);
        Assert.Equal(Firewall.Length, r.Affected);

        var syn = await c.InjectAsync(0, 1, TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 100));
        var synAck = await c.InjectAsync(1, 1, TcpV4("10.0.0.2", "10.0.0.1", 80, 40000, Syn | Ack, 500, 101));
        var ack = await c.InjectAsync(2, 1, TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Ack, 101, 501));
        Assert.Equal("+new+trk", Flags(syn.Frames[0]));
        Assert.Equal("+est+rpl+trk", Flags(synAck.Frames[0]));
        Assert.Equal("+est+trk", Flags(ack.Frames[0]));
        Assert.Equal(new uint[] { 2 }, ack.Frames[0].Outputs);
        Assert.Equal(1, ack.Frames[0].CtZone);
        // The flows added through node 2 reached every node's tables.
        foreach (var n in c.Nodes)
        {
            var d = await n.Datapath.Ask<DumpFlowsReply>(new DumpFlows(null), TimeSpan.FromSeconds(5));
            Assert.Equal(Firewall.Length, d.Lines.Length);
        }
        // del-flows at the seed: once it returns, no node matches the deleted flows any more.
        var del = await c.Nodes[0].FlowManagerProxy.Ask<FlowCommandResult>(new FlowCommand(FlowCommandKind.Delete, new[] { "table=0" }, false), TimeSpan.FromSeconds(20));
        Assert.Null(del.Error);
        Assert.Equal(1, del.Affected);
        var after = await c.InjectAsync(2, 1, TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Ack, 101, 501));
        Assert.Equal("table_miss:0", after.Frames[0].Drop);
    }

    [Fact]
    public async Task Fragments_entering_two_nodes_are_reassembled_once()
    {
        await using var c = await TestCluster.StartAsync(2);
        await c.AddFlowsAsync(0, Firewall);
        var whole = Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), 17, Udp(5000, 6000, new byte[1800]), id: 99);
        var l4 = whole.AsSpan(20).ToArray();
        byte[] Frag(int ofs, int n, bool more) => Eth(MacB, MacA, 0x0800,
            Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), 17, l4.AsSpan(ofs, n), id: 99, fragOffset: ofs, mf: more, fillL4Checksum: false));
        var first = await c.InjectAsync(0, 1, Frag(0, 1000, true));
        Assert.Equal("Stolen", first.Frames[0].Drop ?? "Stolen");
        Assert.Empty(first.Frames[0].Outputs);
        var last = await c.InjectAsync(1, 1, Frag(1000, l4.Length - 1000, false));
        Assert.Equal("+new+trk", Flags(last.Frames[0]));
        Assert.Equal(new uint[] { 2 }, last.Frames[0].Outputs);
        // Node 2 completed the datagram and sent it out refragmented to its MRU: two fragments on its port 2.
        Assert.Equal(2, c.Ports[(1, 2)].Sent.Count);
        Assert.Empty(c.Ports[(0, 2)].Sent);
    }
}

[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public class ClusterFtpTests
{
    [Fact]
    public async Task Ftp_passive_data_connection_entering_another_node_is_related_and_inherits_the_mark()
    {
        await using var c = await TestCluster.StartAsync(2);
        await c.AddFlowsAsync(0,
            "table=0,priority=10,ip actions=ct(table=1,zone=1)",
            "table=1,priority=30,tcp,tp_dst=21,ct_state=+trk+new actions=ct(commit,zone=1,alg=ftp,exec(set_field:0x7->ct_mark)),output:2",
            "table=1,priority=20,ip,ct_state=+trk+new+rel actions=ct(commit,zone=1),output:2",
            "table=1,priority=20,ip,in_port=1,ct_state=+trk+est actions=output:2",
            "table=1,priority=20,ip,in_port=2,ct_state=+trk+est actions=output:1",
            "table=1,priority=1 actions=drop");
        const string C = "10.0.0.1", S = "10.0.0.2";
        uint cs = 1000, ss = 5000;
        async Task<InjectedFrame> Send(int node, uint port, byte[] f) => (await c.InjectAsync(node, port, f)).Frames[0];
        Assert.Equal(CtStateBits.New | CtStateBits.Tracked, (await Send(0, 1, TcpV4(C, S, 40000, 21, Syn, cs))).CtState);
        await Send(0, 2, TcpV4(S, C, 21, 40000, Syn | Ack, ss, cs + 1));
        await Send(0, 1, TcpV4(C, S, 40000, 21, Ack, cs + 1, ss + 1));
        var pasv = "PASV\r\n"u8.ToArray();
        await Send(0, 1, TcpV4(C, S, 40000, 21, Psh | Ack, cs + 1, ss + 1, pasv));
        var reply = "227 Entering Passive Mode (10,0,0,2,200,10).\r\n"u8.ToArray();
        var r227 = await Send(0, 2, TcpV4(S, C, 21, 40000, Psh | Ack, ss + 1, cs + 1 + (uint)pasv.Length, reply));
        Assert.Equal(CtStateBits.Established | CtStateBits.ReplyDir | CtStateBits.Tracked, r227.CtState);

        // The data connection enters node 2: its entity finds the expectation the control connection's entity made.
        var data = await Send(1, 1, TcpV4(C, S, 50123, 51210, Syn, 1));
        Assert.Equal(CtStateBits.New | CtStateBits.Related | CtStateBits.Tracked, data.CtState);
        Assert.Equal(7u, data.CtMark);
        Assert.Equal(new uint[] { 2 }, data.Outputs);
        var dataReply = await Send(1, 2, TcpV4(S, C, 51210, 50123, Syn | Ack, 9, 2));
        Assert.Equal(CtStateBits.Established | CtStateBits.Related | CtStateBits.ReplyDir | CtStateBits.Tracked, dataReply.CtState);
        // Used once: a second data connection to the same port is plain new.
        var again = await Send(1, 1, TcpV4(C, S, 50124, 51210, Syn, 1));
        Assert.Equal(CtStateBits.New | CtStateBits.Tracked, again.CtState);
    }
}

[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public class ClusterBatchingTests
{
    [Fact]
    public async Task Queries_for_one_shard_travel_together_and_all_are_answered()
    {
        await using var c = await TestCluster.StartAsync(2);
        await c.AddFlowsAsync(0, "table=0,ip actions=ct(commit,zone=2),output:2");
        var frames = Enumerable.Range(0, 300).Select(i => UdpV4("10.0.0.1", "10.0.1.1", (ushort)(1000 + i), 53)).ToArray();
        var r = await c.InjectAsync(0, 1, frames);
        Assert.All(r.Frames, f => Assert.Equal(CtStateBits.New | CtStateBits.Tracked, f.CtState));
        Assert.All(r.Frames, f => Assert.Equal(new uint[] { 2 }, f.Outputs));
        var info = await c.Nodes[0].Datapath.Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(5));
        Assert.Equal(300, info.CtQueries);
        // 300 queries over 30 shards: batches of ~10, far fewer messages than queries.
        Assert.InRange(info.CtBatches, 1, 60);
        Assert.True(info.CtBatchedQueries >= 250, $"batched {info.CtBatchedQueries} of 300");
        Assert.Equal(0, info.CtPending);
        // The answers came back one by one to the right packets: replies through node 2 are +est+rpl.
        var replies = Enumerable.Range(0, 20).Select(i => UdpV4("10.0.1.1", "10.0.0.1", 53, (ushort)(1000 + i))).ToArray();
        var again = await c.InjectAsync(1, 1, replies);
        Assert.All(again.Frames, f => Assert.Equal(CtStateBits.Established | CtStateBits.ReplyDir | CtStateBits.Tracked, f.CtState));
    }
}
