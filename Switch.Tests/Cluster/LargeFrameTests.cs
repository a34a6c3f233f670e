using Akka.Actor;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>
/// Regression (issue 12): cluster messages over Akka's 128 000-byte frame were dropped silently, so 200 KB frames timed
/// out (ct:ct_timeout) in a cluster while one switch forwarded them. Members now run 4 MiB frames and every sender stays
/// under it: 200 KB frames are tracked on whichever member owns them, and a frame too large to travel is dropped where
/// it entered, named.
/// </summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public sealed class LargeFrameTests
{
    private static readonly string[] Flows =
    {
        "table=0,priority=10,ip actions=ct(table=1,zone=1)",
        "table=1,priority=10,ct_state=+trk+new,ip actions=ct(commit,zone=1),output:2",
        "table=1,priority=1 actions=drop",
    };

    /// <summary>A TCP SYN carrying 60 000 bytes, then trailing bytes up to <paramref name="size"/> (as a capture of a
    /// reassembled or offloaded super-frame has them).</summary>
    private static byte[] Big(int i, int size)
    {
        var f = TcpV4("10.1.0.1", "10.2.0.1", (ushort)(30000 + i), 80, Syn, 1, payload: new byte[60_000]);
        var big = new byte[size];
        f.CopyTo(big, 0);
        return big;
    }

    [Fact]
    public async Task Frames_of_200_KB_are_tracked_across_members_and_one_over_the_limit_is_dropped_named()
    {
        await using var c = await TestCluster.StartAsync(3);
        await c.AddFlowsAsync(0, Flows);
        // Twelve connections over 30 shards on 3 members: their entities are on other members too.
        var frames = Enumerable.Range(0, 12).Select(i => Big(i, 200_000)).ToArray();
        var r = await c.InjectAsync(0, 1, frames);
        Assert.All(r.Frames, f => Assert.Equal((CtStateBits.New | CtStateBits.Tracked, (string?)null), (f.CtState, f.Drop)));
        Assert.Equal(12, c.Ports[(0, 2)].Sent.Count);

        var tooBig = await c.InjectAsync(1, 1, Big(99, ClusterLimits.MaxPacketBytes + 1));
        Assert.Equal("ct:" + ClusterLimits.PacketTooLarge, tooBig.Frames[0].Drop);
    }

    /// <summary>Regression (issue 12): through a cluster the conntrack table had no limit at all (2 000 000 SYNs made
    /// 2 000 000 connections). Each member now holds at most conntrack.maxConnections and refuses, counted, past it.</summary>
    [Fact]
    public async Task A_member_refuses_connections_past_its_limit_and_counts_them()
    {
        await using var c = await TestCluster.StartAsync(1, ct: new Switch.Core.Conntrack.ConntrackSettings { MaxConnections = 20 });
        await c.AddFlowsAsync(0, Flows);
        // One at a time: the limit is checked as a commit reaches its shard's relay, so commits in flight at the same
        // moment in other shards can overshoot it by their number (a burst of 50 gave 32 of 20).
        var frames = new List<Switch.Contracts.Cluster.InjectedFrame>();
        for (int i = 0; i < 50; i++)
            frames.AddRange((await c.InjectAsync(0, 1, TcpV4("10.1.0.1", "10.2.0.1", (ushort)(20000 + i), 80, Syn, 1))).Frames);
        Assert.Equal(20, frames.Count(f => f.Drop is null));
        Assert.Equal(30, frames.Count(f => f.Drop == "ct:" + Switch.Core.Conntrack.CtDropReasons.TableFull));
        var counts = await c.Nodes[0].Datapath.Ask<MemberCounts>(new GetMemberCounts(), TimeSpan.FromSeconds(10));
        Assert.Equal((20, 30L), (counts.Connections, counts.Refused));
    }
}
