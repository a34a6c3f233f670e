using Switch.Contracts;
using Switch.Contracts.Cluster;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>Replicated clusters (the default, R = 2) keep every handshake whose packets enter three members, from the
/// first packet after the cluster forms: no connection is lost while shards load, copy and move.</summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public sealed class ReplicaCommitTests
{
    private static readonly string[] Flows =
    {
        "table=0,priority=10,ip actions=ct(table=1,zone=1)",
        "table=1,priority=20,in_port=1,ip,ct_state=+trk+new actions=ct(commit,zone=1),output:2",
        "table=1,priority=10,in_port=1,ct_state=+trk+est actions=output:2",
        "table=1,priority=10,in_port=2,ct_state=+trk+est actions=output:1",
        "table=1,priority=1 actions=drop",
    };

    private static string Client(int i) => $"10.{1 + i / 250}.{i % 250}.1";

    private static async Task All(TestCluster c, int node, uint port, IEnumerable<byte[]> frames, string expected)
    {
        var frameList = frames.ToList();
        for (int i = 0; i < frameList.Count; i += 50)
        {
            var r = await c.InjectAsync(node, port, frameList.Skip(i).Take(50).ToArray());
            foreach (var f in r.Frames)
                Assert.True(CtStateBits.Format(f.CtState) == expected, $"frame {i + f.Index} on node {node}: {CtStateBits.Format(f.CtState)} {f.Drop}, expected {expected}");
        }
    }

    [Theory]
    [InlineData(1)]
    // With R = 2 this lost one handshake in about one run in three before the fix: an entity that had asked to stop
    // (holding nothing) committed a query already on its way, then stopped without parking the connection.
    [InlineData(2)]
    public async Task Handshakes_entering_three_members_are_kept_from_the_first_packet(int replicas)
    {
        await using var c = await TestCluster.StartAsync(3, new uint[] { 1, 2 }, replicas: replicas);
        await c.AddFlowsAsync(0, Flows);
        const int n = 300;
        await All(c, 1, 1, Enumerable.Range(0, n).Select(i => TcpV4(Client(i), "172.16.0.2", (ushort)(30000 + i), 80, Syn, 100)), "+new+trk");
        await All(c, 2, 2, Enumerable.Range(0, n).Select(i => TcpV4("172.16.0.2", Client(i), 80, (ushort)(30000 + i), Syn | Ack, 900, 101)), "+est+rpl+trk");
        await All(c, 0, 1, Enumerable.Range(0, n).Select(i => TcpV4(Client(i), "172.16.0.2", (ushort)(30000 + i), 80, Ack, 101, 901)), "+est+trk");
    }
}
