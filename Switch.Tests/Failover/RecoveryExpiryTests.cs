using Akka.Actor;
using Akka.Cluster;
using Switch.Core.Ports;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Failover;

/// <summary>A journaled connection whose deadline passed while no node held it recovers to no entry; one still
/// within its timeout recovers as it was: with the journal written behind the replicas (R = 2, the default) and with
/// the entity journal (R = 1).</summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public sealed class RecoveryExpiryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-recover-").FullName;
    public void Dispose() { try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } }

    private ClusterNode Start(ManualClock clock, int replicas)
    {
        int port = Cluster.TestCluster.FreePort();
        var node = new ClusterNode(new ClusterNodeOptions
        {
            Name = "n1", Port = port, Seeds = new[] { $"akka.ssl.tcp://dswitch@127.0.0.1:{port}" },
            Persistence = new PersistenceOptions(PersistenceOptions.Sqlite, $"Data Source={Path.Combine(_dir, "journal.db")}"),
            Security = global::Switch.Testing.TestPki.Security, Replicas = replicas,
        }, new IPort[] { new InMemoryPort(1), new InMemoryPort(2) }, clock);
        return node;
    }

    private static async Task Up(ClusterNode n)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (n.Cluster.SelfMember.Status != MemberStatus.Up && DateTime.UtcNow < deadline) await Task.Delay(100);
    }

    private static async Task<byte> Ct(ClusterNode n, uint port, byte[] frame)
    {
        var f = (await n.Datapath.Ask<InjectFramesReply>(new InjectFrames(port, new[] { frame }), TimeSpan.FromSeconds(30))).Frames[0];
        Assert.True(f.Drop is null || f.Drop == "no_output", $"dropped: {f.Drop}");
        return f.CtState;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task Expired_while_down_recovers_to_nothing_live_one_recovers_established(int replicas)
    {
        var clock = new ManualClock(SystemClock.Instance.NowUs);
        var a = Start(clock, replicas);
        await Up(a);
        var ok = await a.FlowManagerProxy.Ask<FlowCommandResult>(new FlowCommand(FlowCommandKind.Add,
            new[] { "table=0,ip actions=ct(commit,zone=4),output:2" }, false), TimeSpan.FromSeconds(20));
        Assert.Null(ok.Error);
        byte est = CtStateBits.Established | CtStateBits.Tracked, rpl = (byte)(est | CtStateBits.ReplyDir);
        await Ct(a, 1, UdpV4("10.4.0.1", "10.4.0.2", 1000, 53));
        Assert.Equal(rpl, await Ct(a, 2, UdpV4("10.4.0.2", "10.4.0.1", 53, 1000)));
        await Ct(a, 1, TcpV4("10.4.0.1", "10.4.0.2", 2000, 80, Syn, 1));
        Assert.Equal(rpl, await Ct(a, 2, TcpV4("10.4.0.2", "10.4.0.1", 80, 2000, Syn | Ack, 9, 2)));
        Assert.Equal(est, await Ct(a, 1, TcpV4("10.4.0.1", "10.4.0.2", 2000, 80, Ack, 2, 10)));
        if (replicas > 1)
        {
            // Written behind: the store answers once what it queued is in the table (two rows: the UDP and TCP entries).
            await Switch.Actors.Cluster.Replication.Get(a.System).Store!.Ask<Switch.Actors.Cluster.JournalFlushed>(
                Switch.Actors.Cluster.FlushJournal.Instance, TimeSpan.FromSeconds(20));
            Assert.Equal(2, await Switch.Node.Cluster.SqlStateJournal.Create(new PersistenceOptions(PersistenceOptions.Sqlite,
                $"Data Source={Path.Combine(_dir, "journal.db")}")).CountAsync());
        }
        Assert.True(Switch.Actors.Cluster.JournalStats.Get(a.System).Writes >= 1, "the commits were journaled (and measured for the journal-latency metric)");
        await a.DisposeAsync();

        // Ten minutes pass while no node runs: the UDP entry (30 s) is past its deadline, the TCP one (5 days) is not.
        clock.Advance(TimeSpan.FromMinutes(10));
        var b = Start(clock, replicas);
        await Up(b);
        // The flow set comes back from the journal (the cluster restarted whole, so no member held it).
        await Task.Delay(3000); // the flow manager loads, remembered entities restart and recover
        var flows = await b.Datapath.Ask<DumpFlowsReply>(new DumpFlows(null), TimeSpan.FromSeconds(10));
        Assert.Contains("ct(commit,zone=4)", Assert.Single(flows.Lines));
        Assert.Equal(est, await Ct(b, 1, TcpV4("10.4.0.1", "10.4.0.2", 2000, 80, Psh | Ack, 2, 10, "x"u8)));
        Assert.Equal(CtStateBits.New | CtStateBits.Tracked, await Ct(b, 2, UdpV4("10.4.0.2", "10.4.0.1", 53, 1000)));
        await b.DisposeAsync();
    }
}
