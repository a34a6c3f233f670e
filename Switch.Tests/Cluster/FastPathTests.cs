using Switch.Contracts;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Switch.Actors.Cluster;
using Switch.Contracts.Cluster;
using Switch.Node.Commands;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>The fast path: a connection whose packets enter one node is decided there under a lease from its entity;
/// a packet entering another node revokes the lease, and the connection stays exactly as correct.</summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public class FastPathTests
{
    private static readonly string[] Firewall =
    {
        "table=0,priority=10,ip actions=ct(table=1,zone=1)",
        "table=1,priority=20,ip,ct_state=+trk+new actions=ct(commit,zone=1),output:2",
        "table=1,priority=20,ip,ct_state=+trk+est actions=output:2",
        "table=1,priority=1 actions=drop",
    };

    private const string A = "10.0.0.1", B = "10.0.0.2";
    private const ushort PA = 40000, PB = 80;

    private static string Flags(InjectedFrame f) => CtStateBits.Format(f.CtState) + (f.Drop is null ? "" : " " + f.Drop);

    private static Task<NodeInfo> Info(TestCluster c, int node) => c.Nodes[node].Datapath.Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(5));

    private static async Task<string[]> Dump(TestCluster c)
    {
        var id = CtRouting.ConnectionId(1, 6, false, 0x0a000001, PA, 0x0a000002, PB);
        return (await c.Nodes[0].Region.Ask<DumpEntityReply>(new DumpEntity(id, null), TimeSpan.FromSeconds(10))).Lines;
    }

    /// <summary>Handshake through <paramref name="node"/>: SYN (+new), SYN-ACK (+est+rpl), ACK (+est).</summary>
    private static async Task Handshake(TestCluster c, int node)
    {
        Assert.Equal("+new+trk", Flags((await c.InjectAsync(node, 1, TcpV4(A, B, PA, PB, Syn, 100))).Frames[0]));
        Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(node, 1, TcpV4(B, A, PB, PA, Syn | Ack, 500, 101))).Frames[0]));
        Assert.Equal("+est+trk", Flags((await c.InjectAsync(node, 1, TcpV4(A, B, PA, PB, Ack, 101, 501))).Frames[0]));
    }

    private static byte[] Data(bool fromA, uint i) => fromA
        ? TcpV4(A, B, PA, PB, Psh | Ack, 101 + 10 * i, 501 + 10 * i, new byte[10])
        : TcpV4(B, A, PB, PA, Psh | Ack, 501 + 10 * i, 101 + 10 * (i + 1), new byte[10]);

    [Fact]
    public async Task Single_node_traffic_gets_a_lease_and_is_decided_locally()
    {
        await using var c = await TestCluster.StartAsync(3);
        await c.AddFlowsAsync(0, Firewall);
        var before = await Info(c, 0);
        await Handshake(c, 0);
        for (uint i = 0; i < 40; i++)
        {
            Assert.Equal("+est+trk", Flags((await c.InjectAsync(0, 1, Data(true, i))).Frames[0]));
            Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(0, 1, Data(false, i))).Frames[0]));
        }
        var after = await Info(c, 0);
        Assert.Equal(1, after.LeasesHeld);
        // Every packet after the commit (SYN-ACK, ACK, 80 segments: one ct call each, the +est flow does not commit)
        // is decided on node 1 itself.
        Assert.Equal(2 + 80, after.CtLocal - before.CtLocal);
        // The entity keeps what matters durably: the state class the holder reported. Outside a durable cluster the
        // holder's report travels after the packet's answer, so the entity has it shortly, not necessarily yet.
        string[] lines = Array.Empty<string>();
        await Eventually.Async(async () => (lines = await Dump(c)).Length == 1 && lines[0].Contains("ESTABLISHED"),
            "the entity never showed the reported ESTABLISHED state");
        Assert.Single(lines);
    }

    [Fact]
    public async Task A_packet_entering_another_node_revokes_the_lease_and_nothing_is_lost_or_doubled()
    {
        await using var c = await TestCluster.StartAsync(3);
        await c.AddFlowsAsync(0, Firewall);
        await Handshake(c, 0);
        Assert.Equal(1, (await Info(c, 0)).LeasesHeld);
        // Interleave: client data enters node 1 while server data enters node 2, both in flight together.
        const int Rounds = 30;
        for (uint i = 0; i < Rounds; i++)
        {
            var fromA = c.InjectAsync(0, 1, Data(true, i));
            var fromB = c.InjectAsync(1, 1, Data(false, i));
            var (ra, rb) = (await fromA, await fromB);
            Assert.Equal("+est+trk", Flags(ra.Frames[0]));
            Assert.Equal("+est+rpl+trk", Flags(rb.Frames[0]));
        }
        // The connection proved asymmetric: no node holds it any more, its entity decides.
        Assert.Equal(0, (await Info(c, 0)).LeasesHeld);
        Assert.Equal(0, (await Info(c, 1)).LeasesHeld);
        var lines = await Dump(c);
        Assert.Single(lines);
        Assert.Contains("ESTABLISHED", lines[0]);
    }

    private static async Task<int> ConnectionEntities(TestCluster c)
    {
        int n = 0;
        foreach (var node in c.Nodes)
        {
            var st = await node.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
            n += st.Shards.SelectMany(s => s.EntityIds).Count(id => id.StartsWith(CtRouting.ConnectionPrefix, StringComparison.Ordinal));
        }
        return n;
    }

    [Fact]
    public async Task An_uncommitted_syn_flood_of_100_000_tuples_starts_no_entity()
    {
        string[] flows =
        {
            "table=0,priority=10,ip actions=ct(table=1,zone=1)",
            "table=1,priority=20,in_port=1,ip,ct_state=+trk+new actions=ct(commit,zone=1),output:2",
            "table=1,priority=20,ip,ct_state=+trk+est actions=output:2",
            "table=1,priority=1 actions=drop",
        };
        await using var c = await TestCluster.StartAsync(3);
        await c.AddFlowsAsync(0, flows);
        // A joining node answers "maybe" for every expectation key until it has copied a member's index.
        var until = DateTime.UtcNow.AddSeconds(20);
        while (c.Nodes.Any(n => !ExpectIndex.Get(n.System).IsSynced) && DateTime.UtcNow < until) await Task.Delay(100);
        Assert.All(c.Nodes, n => Assert.True(ExpectIndex.Get(n.System).IsSynced));
        long started = c.Counted(x => x.ConnectionsStarted), gated = c.Counted(x => x.GateAnswered);
        // 100 000 SYNs from distinct sources entering port 2, which commits nothing: +new, dropped.
        const int N = 100_000, Per = 1000;
        int newSeen = 0, dropped = 0;
        var other = new Dictionary<string, int>();
        for (int b = 0; b < N / Per; b += 4)
        {
            var batch = Enumerable.Range(b, 4).Select(k => c.InjectAsync(k % 3, 2, Enumerable.Range(k * Per, Per)
                .Select(i => TcpV4($"10.{100 + i / 65536}.{i / 256 % 256}.{i % 256}", B, (ushort)(1024 + i % 60000), PB, Syn, 7)).ToArray()));
            foreach (var r in await Task.WhenAll(batch))
                foreach (var f in r.Frames)
                {
                    if (Flags(f) == "+new+trk drop_action") newSeen++; else other[Flags(f)] = other.GetValueOrDefault(Flags(f)) + 1;
                    if (f.Drop is not null) dropped++;
                }
        }
        Assert.True(N == newSeen, string.Join(", ", other.Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.Equal(N, dropped);
        Assert.Equal(0, c.Counted(x => x.ConnectionsStarted) - started);
        Assert.Equal(0, await ConnectionEntities(c));
        Assert.Equal(N, c.Counted(x => x.GateAnswered) - gated);
        // A committed connection still works next to the flood.
        await Handshake(c, 0);
    }

    /// <summary>A durable cluster gates lookups too: each shard's relay keeps a journaled list of the entities that may
    /// hold a connection, so an uncommitted flood starts no entity (each would cost a journal recovery and a
    /// remember-entities write), while committed connections keep reaching their entities, also after the relays
    /// restart and read their lists back.</summary>
    [Fact]
    public async Task A_durable_cluster_starts_no_entity_for_an_uncommitted_flood()
    {
        string[] flows =
        {
            "table=0,priority=10,ip actions=ct(table=1,zone=1)",
            "table=1,priority=20,in_port=1,ip,ct_state=+trk+new actions=ct(commit,zone=1),output:2",
            "table=1,priority=20,ip,ct_state=+trk+est actions=output:2",
            "table=1,priority=1 actions=drop",
        };
        var dir = Directory.CreateTempSubdirectory("dswitch-dgate-").FullName;
        try
        {
            var journal = new Switch.Node.Cluster.PersistenceOptions(Switch.Node.Cluster.PersistenceOptions.Sqlite,
                $"Data Source={Path.Combine(dir, "journal.db")}");
            // The entity journal (R = 1): with replicas the relays' lists live in the replica store instead.
            await using var c = await TestCluster.StartAsync(2, persistence: journal, replicas: 1);
            await c.AddFlowsAsync(0, flows);
            var until = DateTime.UtcNow.AddSeconds(20);
            while (c.Nodes.Any(n => !ExpectIndex.Get(n.System).IsSynced) && DateTime.UtcNow < until) await Task.Delay(100);
            await Handshake(c, 0);
            long started = c.Counted(x => x.ConnectionsStarted), gated = c.Counted(x => x.GateAnswered);
            byte[] SynFrame(int i) => TcpV4($"10.{100 + i / 65536}.{i / 256 % 256}.{i % 256}", B, (ushort)(1024 + i % 60000), PB, Syn, 7);
            const int N = 5000;
            var frames = await Task.WhenAll(Enumerable.Range(0, 5).Select(k =>
                c.InjectAsync(k % 2, 2, Enumerable.Range(k * 1000, 1000).Select(SynFrame).ToArray())));
            Assert.All(frames.SelectMany(r => r.Frames), f => Assert.Equal("+new+trk drop_action", Flags(f)));
            Assert.Equal(0, c.Counted(x => x.ConnectionsStarted) - started);
            Assert.Equal(N, c.Counted(x => x.GateAnswered) - gated);
            // The committed connection is still its entity's: a packet entering node 2 takes the lease back, +est.
            Assert.Equal("+est+trk", Flags((await c.InjectAsync(1, 1, Data(true, 0))).Frames[0]));
            // Restart every relay (as a failover would): each reads its list back before deciding anything.
            var all = c.Nodes.SelectMany(n => Enumerable.Range(0, 30).Select(sh =>
                n.System.ActorSelection($"/system/sharding/{ConntrackRegion.Name}/{sh}/{Uri.EscapeDataString(BatchRelayEntity.EntityId(sh.ToString()))}"))).ToList();
            int killed = 0;
            foreach (var sel in all)
                try { (await sel.ResolveOne(TimeSpan.FromMilliseconds(500))).Tell(Kill.Instance); killed++; } catch (ActorNotFoundException) { }
            Assert.Equal(30, killed);
            await Task.Delay(500);
            started = c.Counted(x => x.ConnectionsStarted); gated = c.Counted(x => x.GateAnswered);
            frames = await Task.WhenAll(Enumerable.Range(5, 2).Select(k =>
                c.InjectAsync(k % 2, 2, Enumerable.Range(k * 1000, 1000).Select(SynFrame).ToArray())));
            Assert.All(frames.SelectMany(r => r.Frames), f => Assert.Equal("+new+trk drop_action", Flags(f)));
            Assert.Equal(0, c.Counted(x => x.ConnectionsStarted) - started);
            Assert.Equal(2000, c.Counted(x => x.GateAnswered) - gated);
            Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(0, 1, Data(false, 0))).Frames[0]));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_passivated_entity_comes_back_with_its_state()
    {
        await using var c = await TestCluster.StartAsync(3);
        await c.AddFlowsAsync(0, Firewall);
        await Handshake(c, 0);
        var id = CtRouting.ConnectionId(1, 6, false, 0x0a000001, PA, 0x0a000002, PB);
        // The connection was born lent (its shard's relay committed it and parked its state); a dump starts the entity.
        Assert.Single(await Dump(c));
        Assert.Equal(1, await ConnectionEntities(c));
        Assert.Empty(c.Nodes.SelectMany(n => ShardDirectory.Get(n.System).ParkedIds()));
        // The entity passivates again once idle while its connection is lent: gone from the region, its state parked.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string[] parked = Array.Empty<string>();
        while (DateTime.UtcNow < deadline)
        {
            parked = c.Nodes.SelectMany(n => ShardDirectory.Get(n.System).ParkedIds()).ToArray();
            if (parked.Contains(id)) break;
            await Task.Delay(100);
        }
        Assert.Contains(id, parked);
        Assert.Equal(0, await ConnectionEntities(c));
        // The control plane still sees it: held connections of every node (dump-conntrack, ctl cluster, metrics).
        var held = (await Task.WhenAll(c.Nodes.Select(n => n.Datapath.Ask<ParkedEntities>(new GetParkedEntities(), TimeSpan.FromSeconds(5)))))
            .SelectMany(p => p.EntityIds).ToArray();
        Assert.Contains(id, held);
        // dump-conntrack reads the parked state itself; the entity, started again by a dump of its own, says the same.
        var fromParked = await new Switch.Node.Control.ClusterSwitchControl(c.Nodes[2]).DumpConntrackAsync(null);
        Assert.Equal(0, await ConnectionEntities(c));
        Assert.Equal(await Dump(c), fromParked);
        Assert.Contains("ESTABLISHED", fromParked.Single());
        // Still decided on node 1 meanwhile.
        Assert.Equal("+est+trk", Flags((await c.InjectAsync(0, 1, Data(true, 0))).Frames[0]));
        // A packet entering node 2 wakes the entity: it comes back with the connection and the lease, revokes it, decides.
        Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(1, 1, Data(false, 0))).Frames[0]));
        Assert.Equal("+est+trk", Flags((await c.InjectAsync(2, 1, Data(true, 1))).Frames[0]));
        Assert.Equal(0, (await Info(c, 0)).LeasesHeld);
        var lines = await Dump(c);
        Assert.Single(lines);
        Assert.Contains("ESTABLISHED", lines[0]);
    }

    /// <summary>An entity that decides its connection itself (asymmetric: never lent again) passivates once idle, and
    /// comes back with its state on the next packet.</summary>
    [Fact]
    public async Task An_idle_asymmetric_connection_passivates_and_comes_back()
    {
        {
            await using var c = await TestCluster.StartAsync(2, timings: EntityTimings.Default with { IdleParkAfter = TimeSpan.FromMilliseconds(500) });
            await c.AddFlowsAsync(0, Firewall);
            Assert.Equal("+new+trk", Flags((await c.InjectAsync(0, 1, TcpV4(A, B, PA, PB, Syn, 100))).Frames[0]));
            Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(1, 1, TcpV4(B, A, PB, PA, Syn | Ack, 500, 101))).Frames[0]));
            Assert.Equal("+est+trk", Flags((await c.InjectAsync(0, 1, TcpV4(A, B, PA, PB, Ack, 101, 501))).Frames[0]));
            Assert.Equal(0, (await Info(c, 0)).LeasesHeld);
            var id = CtRouting.ConnectionId(1, 6, false, 0x0a000001, PA, 0x0a000002, PB);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!c.Nodes.SelectMany(n => ShardDirectory.Get(n.System).ParkedIds()).Contains(id) && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Contains(id, c.Nodes.SelectMany(n => ShardDirectory.Get(n.System).ParkedIds()));
            Assert.Equal(0, await ConnectionEntities(c));
            // Back on the next packet, from either node, with its windows: still decided centrally (no lease).
            Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(1, 1, Data(false, 0))).Frames[0]));
            Assert.Equal("+est+trk", Flags((await c.InjectAsync(0, 1, Data(true, 1))).Frames[0]));
            Assert.Equal(0, (await Info(c, 0)).LeasesHeld);
            var lines = await Dump(c);
            Assert.Single(lines);
            Assert.Contains("ESTABLISHED", lines[0]);
        }
    }

    [Fact]
    public async Task Many_connections_committed_on_one_node_then_answered_on_two_lose_no_decision()
    {
        string[] flows = { "table=0,ip actions=ct(commit,zone=1),output:2" };
        await using var c = await TestCluster.StartAsync(3);
        await c.AddFlowsAsync(0, flows);
        const int N = 3000;
        byte[] Fwd(int i) => UdpV4($"10.7.{i / 250}.{i % 250 + 1}", B, (ushort)(2000 + i), 53);
        byte[] Back(int i) => UdpV4(B, $"10.7.{i / 250}.{i % 250 + 1}", 53, (ushort)(2000 + i));
        // A joining node answers "maybe" for every expectation key until it has copied a member's index: until then a
        // new connection goes to its entity (to consult the key) instead of being born lent in the relay.
        var synced = DateTime.UtcNow.AddSeconds(20);
        while (c.Nodes.Any(n => !ExpectIndex.Get(n.System).IsSynced) && DateTime.UtcNow < synced) await Task.Delay(100);
        long started = c.Counted(x => x.ConnectionsStarted);
        foreach (var chunk in Enumerable.Range(0, N).Chunk(500))
            Assert.All((await c.InjectAsync(0, 1, chunk.Select(Fwd).ToArray())).Frames, f => Assert.Equal("+new+trk", Flags(f)));
        Assert.Equal(N, (await Info(c, 0)).LeasesHeld);
        // Born lent: each shard's relay committed its connections and parked their state; no entity started.
        Assert.Equal(0, c.Counted(x => x.ConnectionsStarted) - started);
        Assert.Equal(N, c.Nodes.Sum(n => ShardDirectory.Get(n.System).ParkedIds().Length));
        // dump-conntrack lists them all from their parked images, still without starting an entity.
        var dumped = await new Switch.Node.Control.ClusterSwitchControl(c.Nodes[1]).DumpConntrackAsync(null);
        Assert.Equal(N, dumped.Count);
        Assert.All(dumped, l => Assert.StartsWith("udp,orig=(src=10.7.", l));
        Assert.Equal(N, (await new Switch.Node.Control.ClusterSwitchControl(c.Nodes[0]).DumpConntrackAsync(1)).Count);
        Assert.Empty(await new Switch.Node.Control.ClusterSwitchControl(c.Nodes[0]).DumpConntrackAsync(7));
        Assert.Equal(0, c.Counted(x => x.ConnectionsStarted) - started);
        // Replies enter node 2 while repeats enter node 1, many in flight on both.
        var replies = Enumerable.Range(0, N).Chunk(250).Select(ch => c.InjectAsync(1, 1, ch.Select(Back).ToArray())).ToList();
        var repeats = Enumerable.Range(0, N).Chunk(250).Select(ch => c.InjectAsync(0, 1, ch.Select(Fwd).ToArray())).ToList();
        var bad = new Dictionary<string, int>();
        foreach (var r in await Task.WhenAll(replies))
            foreach (var f in r.Frames) if (Flags(f) != "+est+rpl+trk") bad[Flags(f)] = bad.GetValueOrDefault(Flags(f)) + 1;
        foreach (var r in await Task.WhenAll(repeats))
            foreach (var f in r.Frames) if (Flags(f) is not ("+est+trk" or "+new+trk")) bad[Flags(f)] = bad.GetValueOrDefault(Flags(f)) + 1;
        Assert.True(bad.Count == 0, string.Join(", ", bad.Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.Equal(0, (await Info(c, 0)).LeasesHeld);
        // Every connection now answers +est from either node, decided by its entity.
        var again = await c.InjectAsync(2, 1, Enumerable.Range(0, N).Select(Fwd).ToArray());
        Assert.All(again.Frames, f => Assert.Equal("+est+trk", Flags(f)));
    }

    /// <summary>An entity restarts (its shard restarted, say) while its connection is lent. Durable: its journal says
    /// who holds the lease, so the holder's reports still reach the journal. Without a journal: the holder's first
    /// report brings the connection back. Either way a packet entering elsewhere takes the holder's state back first.
    /// (Before: the restarted entity ignored the reports and judged the next packet by the state it had journaled at
    /// the commit, SYN_SENT: +inv; without a journal, by nothing: +new.)</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_entity_that_restarts_while_its_connection_is_lent_keeps_the_lease(bool durable)
    {
        var dir = Directory.CreateTempSubdirectory("dswitch-restart-").FullName;
        try
        {
            var journal = !durable ? null : new Switch.Node.Cluster.PersistenceOptions(Switch.Node.Cluster.PersistenceOptions.Sqlite,
                $"Data Source={Path.Combine(dir, "journal.db")}");
            await using var c = await TestCluster.StartAsync(2, persistence: journal);
            await c.AddFlowsAsync(0, Firewall);
            Assert.Equal("+new+trk", Flags((await c.InjectAsync(0, 1, TcpV4(A, B, PA, PB, Syn, 100))).Frames[0]));
            Assert.Equal(1, (await Info(c, 0)).LeasesHeld);
            // Stop the entity where it runs (a dump starts it, when the connection was born lent in its shard's relay);
            // the next message starts it again.
            Assert.Single(await Dump(c));
            var id = CtRouting.ConnectionId(1, 6, false, 0x0a000001, PA, 0x0a000002, PB);
            string path = $"/system/sharding/{ConntrackRegion.Name}/{CtRouting.ShardId(id, 30)}/{Uri.EscapeDataString(id)}";
            IActorRef? entity = null;
            ActorSystem? host = null;
            foreach (var node in c.Nodes)
                try { entity = await node.System.ActorSelection(path).ResolveOne(TimeSpan.FromSeconds(2)); host = node.System; break; }
                catch (ActorNotFoundException) { }
            Assert.NotNull(entity);
            long started = c.Counted(x => x.ConnectionsStarted);
            var inbox = Inbox.Create(host!);
            inbox.Watch(entity!);
            entity!.Tell(Kill.Instance);
            Assert.IsType<Terminated>(await inbox.ReceiveAsync(TimeSpan.FromSeconds(10)));
            // The handshake goes on under the lease, on node 1; its state changes reach the restarted entity's journal.
            var before = await Info(c, 0);
            Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(0, 1, TcpV4(B, A, PB, PA, Syn | Ack, 500, 101))).Frames[0]));
            Assert.Equal("+est+trk", Flags((await c.InjectAsync(0, 1, TcpV4(A, B, PA, PB, Ack, 101, 501))).Frames[0]));
            Assert.Equal(2, (await Info(c, 0)).CtLocal - before.CtLocal);
            // The reports travel on their own (no journal to wait for without one): the entity starts again for them.
            var until = DateTime.UtcNow.AddSeconds(10);
            while (c.Counted(x => x.ConnectionsStarted) == started && DateTime.UtcNow < until) await Task.Delay(20);
            Assert.True(c.Counted(x => x.ConnectionsStarted) > started, "the entity did not start again");
            await Task.Delay(200);
            // A packet entering node 2: the lease is taken back, the connection is established.
            Assert.Equal("+est+rpl+trk", Flags((await c.InjectAsync(1, 1, Data(false, 0))).Frames[0]));
            Assert.Equal("+est+trk", Flags((await c.InjectAsync(1, 1, Data(true, 1))).Frames[0]));
            Assert.Equal(0, (await Info(c, 0)).LeasesHeld);
            var lines = await Dump(c);
            Assert.Single(lines);
            Assert.Contains("ESTABLISHED", lines[0]);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
