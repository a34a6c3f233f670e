using System.Diagnostics;
using Akka.Actor;
using Switch.Actors.Cluster;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;
using Switch.Tests.Cluster;
using Xunit;
using Xunit.Abstractions;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Failover;

/// <summary>The journal written behind the replicas (R = 2 with a journal): one row per live connection, deleted when
/// the connection goes (here: flushed); when the whole cluster stops and starts again, every member gone, the shards start from their rows and
/// every committed connection answers +est as before. SQLite (one host) and a real PostgreSQL server.</summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public sealed class WriteBehindJournalTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-wbj-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } }

    private static readonly string[] Flows =
    {
        "table=0,priority=10,ip actions=ct(table=1,zone=1)",
        "table=0,priority=20,udp actions=ct(table=1,zone=2)",
        "table=1,priority=20,in_port=1,udp,ct_state=+trk+new actions=ct(commit,zone=2),output:2",
        "table=1,priority=20,in_port=1,ip,ct_state=+trk+new actions=ct(commit,zone=1),output:2",
        "table=1,priority=10,in_port=1,ct_state=+trk+est actions=output:2",
        "table=1,priority=10,in_port=2,ct_state=+trk+est actions=output:1",
        "table=1,priority=1 actions=drop",
    };

    private static string Client(int i) => $"10.{1 + i / 250}.{i % 250}.1";
    private static byte[] SynOut(int i) => TcpV4(Client(i), "172.16.0.2", (ushort)(30000 + i), 80, Switch.Core.Packets.FrameBuilder.Syn, 100);
    private static byte[] SynAck(int i) => TcpV4("172.16.0.2", Client(i), 80, (ushort)(30000 + i), Switch.Core.Packets.FrameBuilder.Syn | Ack, 900, 101);
    private static byte[] AckOut(int i) => TcpV4(Client(i), "172.16.0.2", (ushort)(30000 + i), 80, Ack, 101, 901);
    private static byte[] DataOut(int i) => TcpV4(Client(i), "172.16.0.2", (ushort)(30000 + i), 80, Psh | Ack, 101, 901, "x"u8);
    private static byte[] UdpOut(int i) => UdpV4(Client(i), "172.16.0.3", (ushort)(40000 + i), 53);
    private static byte[] UdpBack(int i) => UdpV4("172.16.0.3", Client(i), 53, (ushort)(40000 + i));

    private static Task All(TestCluster c, int node, uint port, IEnumerable<byte[]> frames, string expected) =>
        ReplicaCommitTests.All(c, node, port, frames, expected);

    private static async Task Flush(TestCluster c)
    {
        foreach (var n in c.Nodes)
            await Replication.Get(n.System).Store!.Ask<JournalFlushed>(FlushJournal.Instance, TimeSpan.FromSeconds(30));
    }

    [Theory]
    [InlineData(PersistenceOptions.Sqlite)]
    [InlineData(PersistenceOptions.Postgres)]
    public async Task A_whole_cluster_restart_brings_every_committed_connection_back_from_the_journal(string provider)
    {
        using var pg = provider == PersistenceOptions.Postgres ? Switch.Testing.PrivatePostgres.Start() : null;
        var journal = new PersistenceOptions(provider, pg?.ConnectionString ?? $"Data Source={Path.Combine(_dir, "journal.db")}");
        const int tcp = 300, udp = 100, flushed = 40;
        var table = SqlStateJournal.Create(journal);
        await using (var c = await TestCluster.StartAsync(3, new uint[] { 1, 2 }, persistence: journal))
        {
            await c.AddFlowsAsync(0, Flows);
            // Handshakes whose packets enter three members; UDP both ways (zone 2).
            await All(c, 1, 1, Enumerable.Range(0, tcp).Select(SynOut), "+new+trk");
            await All(c, 2, 2, Enumerable.Range(0, tcp).Select(SynAck), "+est+rpl+trk");
            await All(c, 0, 1, Enumerable.Range(0, tcp).Select(AckOut), "+est+trk");
            await All(c, 0, 1, Enumerable.Range(0, udp).Select(UdpOut), "+new+trk");
            await All(c, 1, 2, Enumerable.Range(0, udp).Select(UdpBack), "+est+rpl+trk");
            await Flush(c);
            // One row per connection: replicas write nothing.
            Assert.Equal(tcp + udp, await table.CountAsync());
            // Connections that go are deleted: flush zone 2 by the tuples of some of its connections.
            var control = new Switch.Node.Control.ClusterSwitchControl(c.Nodes[0]);
            for (int i = 0; i < flushed; i++)
                Assert.Equal(1, (await control.FlushConntrackAsync(new Switch.Contracts.Control.FlushConntrackRequest(2,
                    $"ct_nw_src={Client(i)},ct_nw_dst=172.16.0.3,ct_nw_proto=17,ct_tp_src={40000 + i},ct_tp_dst=53"))).Removed);
            await Flush(c);
            Assert.Equal(tcp + udp - flushed, await table.CountAsync());
            var stats = c.Nodes.Select(n => Replication.Get(n.System).Stats).ToList();
            output.WriteLine($"{provider}: {stats.Sum(s => s.JournalWrites)} transactions for {stats.Sum(s => s.JournalRows)} row writes");
            Assert.True(stats.Sum(s => s.JournalWrites) < stats.Sum(s => s.JournalRows), "rows are written in groups");
        }
        // Every member stopped: nobody holds a copy. A new cluster on the same journal.
        var sw = Stopwatch.StartNew();
        await using (var c = await TestCluster.StartAsync(3, new uint[] { 1, 2 }, persistence: journal))
        {
            output.WriteLine($"{provider}: new cluster up in {sw.Elapsed.TotalSeconds:F1} s");
            // The flow table comes back from the journal too (before it does, packets meet an empty table).
            await Eventually.Async(async () => (await c.Nodes[0].Datapath.Ask<DumpFlowsReply>(new DumpFlows(null), TimeSpan.FromSeconds(10))).Lines.Length == Flows.Length, "the flow table came back");
            await All(c, 1, 1, Enumerable.Range(0, tcp).Select(DataOut), "+est+trk");
            await All(c, 0, 2, Enumerable.Range(flushed, udp - flushed).Select(UdpBack), "+est+rpl+trk");
            output.WriteLine($"{provider}: all {tcp + udp - flushed} connections +est {sw.Elapsed.TotalSeconds:F1} s after the restart began");
            Assert.True(c.Nodes.Sum(n => Replication.Get(n.System).Stats.JournalRowsRead) >= tcp + udp - flushed, "the shards were read from the journal");
            // A flushed connection is not resurrected: its reply is a new connection (not committed from port 2).
            await All(c, 2, 2, Enumerable.Range(0, flushed).Select(UdpBack), "+new+trk");
        }
    }
}
