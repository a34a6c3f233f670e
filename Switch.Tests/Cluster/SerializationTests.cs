using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;
using Xunit;

namespace Switch.Tests.Cluster;

/// <summary>Every message that crosses nodes goes through the configured serializer (Hyperion) and comes back equal.</summary>
[Trait("Category", Tiers.Cluster)]
public class SerializationTests
{
    private static readonly CtRequestData Req = new(7, true, false, 1, true, 5, 0xff, true, 1, 2, 3, 4);
    private static readonly ExpectData Exp = new(1, 6, false, 0, 0x0a000001, 0, 0x0a000002, 2121, 1, "c/1/6/4/a:1/b:2", false, 6,
        0, 1, 0, 2, 40000, 21, true, 9, 0, 0xab, 123456789);

    private static readonly ConnImage Img = ConnImage.Of(3, 6, false, 0x0a000001, 0x0a000002, 1000, 80, true, 0x0f, 0, 3,
        7, 9, 111, 222, new ulong[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });

    public static readonly object[] Samples =
    {
        Req,
        new CtQuery(42, "c/1/6/4/a:1/b:2", new byte[] { 1, 2, 3 }, 3, new ulong[] { 1, 2 }, new ulong[] { 9 }, Req),
        new CtReply(42, CtWireVerdict.Reassembled, "why", new ulong[] { 5, 6 }, new byte[] { 7 }, 1500),
        new CtQueryBatch("b/7", new[] { new CtQuery(1, "c/x", new byte[] { 1 }, 1, Array.Empty<ulong>(), Array.Empty<ulong>(), Req) }),
        new DumpEntity("c/x", 3), new DumpEntityReply(new[] { "a", "b" }),
        new FlushEntity("c/x", null, "tcp,orig=(src=1.1.1.1,dst=2.2.2.2,sport=1,dport=2)"), new FlushEntityReply(4),
        new FlowSet(3, new[] { "table=0, priority=1 actions=drop" }),
        new FlowCommand(FlowCommandKind.Delete, new[] { "tcp" }, true), new FlowCommandResult(2, 3, "err"),
        new FlowSetApplied("n1", 1), new FlowCommand(FlowCommandKind.Add, new[] { "ip actions=drop" }, false, 77, true),
        new FlowDelta(4, FlowCommandKind.Modify, true, new[] { "ip actions=drop" }, true), new FlowDeltaPrepared("n1", 4, 3, null),
        new FlowDeltaPrepared("n2", 4, 1, "behind"), new FlowDeltaCommit(4, true), new FlowSync("n1", 3),
        new FlowSnapshotPart(3, new[] { "ip actions=drop" }, false), new FlowStateQuery(true),
        new DumpMemberConntrack(5, 1), new DumpMemberConntrack(6, null), new ConntrackPage(5, new[] { "tcp,orig=(...)" }, true, "akka://x/temp/a"),
        new ConntrackPage(5, Array.Empty<string>(), false, "akka://x/temp/a", "stopped"), new ConntrackPageAck(5),
        new GetMemberCounts(), new MemberCounts(10, 3, 1, 0, 7), new GetMemberDrops(), new MemberDrops(new[] { "drop_action", "ct:ct_timeout" }, new long[] { 3, 1 }), new FlushMemberConntrack(1, null), new FlushMemberConntrack(null, "tcp,orig=(src=1.1.1.1,dst=2.2.2.2,sport=1,dport=2)"),
        new DumpParked(4), new DumpParked(null), new ParkedDump(new[] { "c/x" }, new[] { "udp,orig=(...)" }, true),
        new DumpFlows("table=1"), new DumpFlowsReply(new[] { "x" }, null),
        new InjectFrames(1, new[] { new byte[] { 1 }, new byte[] { 2, 3 } }),
        new InjectedFrame(1, 0x82, 1, 5, new uint[] { 2 }, null), new InjectFramesReply("n2", new[] { new InjectedFrame(2, 0, 0, 0, Array.Empty<uint>(), "drop_action") }),
        new GetNodeInfo(), new NodeInfo("n1", "http://127.0.0.1:1", 3, 4, 5, 6, 7, 8),
        Exp, new ExpectRegister("e/1", Exp), new ExpectRegistered("e/1"), new ExpectLookup("e/1"), new ExpectFound("e/1", Exp),
        new ExpectFound("e/2", null), new ExpectRemove("e/1", true), new ExpectUsed("c/1", Exp),
        Img, new LeaseGrant(77, Img), new LeaseReport("c/x", 77, Img), new LeaseReport("c/x", 77, null), new LeaseRevoke("c/x", 77),
        new LeaseReturn("c/x", 77, Img, false), new LeaseReturn("c/x", 77, null, true),
        new CtReply(43, CtWireVerdict.Continue, null, new ulong[] { 1 }, null, 0, new LeaseGrant(78, Img)),
        new CtReplyBatch(new[] { new CtReply(1, 0, null, Array.Empty<ulong>(), null, 0), new CtReply(2, 2, "x", new ulong[] { 3 }, null, 0) }),
        new CtQueryBatch("b/1", Array.Empty<CtQuery>(), new[] { new LeaseReport("c/y", 1, Img) }),
        new IndexAdd("e/1", 5), new IndexAdded("e/1"), new IndexRemove("e/1"), new IndexSnapshotRequest(),
        new IndexSnapshot(new[] { "e/1", "e/2" }, new long[] { 5, 6 }), new GetParkedEntities(), new ParkedEntities(new[] { "c/1" }),
        new LeaseReport("c/z", 5, Img, 99), new LeaseReportAck(99),
        new ReplicaBatch(3, new[]
        {
            new ReplicaItem("7", "c/1", new ConnSaved(Img, new[] { Exp }, 5, "akka.ssl.tcp://dswitch@127.0.0.1:4053/user/datapath#1", 77, true)),
            new ReplicaItem("7", "e/1", Expect: Exp), new ReplicaItem("7", "c/2"),
        }, "7", "7"),
        new ReplicaBatch(4, Array.Empty<ReplicaItem>()), new ReplicaAck(3), new ReplicaFetch("7"),
        new ReplicaCopy("7", new[] { new ReplicaItem("7", "c/1", new ConnSaved(Img, Array.Empty<ExpectData>(), 5)) }, true, true),
        new ReplicaDrop("7"),
    };

    [Fact]
    public void Every_cluster_message_type_has_a_sample()
    {
        var types = typeof(IClusterMessage).Assembly.GetTypes()
            .Where(t => typeof(IClusterMessage).IsAssignableFrom(t) && !t.IsInterface && !t.IsAbstract).ToHashSet();
        types.ExceptWith(Samples.Select(s => s.GetType()));
        Assert.Empty(types);
    }

    [Fact]
    public void Round_trip_through_the_configured_serializer()
    {
        using var system = ActorSystem.Create("ser", ClusterNode.Setup(new ClusterNodeOptions { Port = 0, Security = global::Switch.Testing.TestPki.Security }));
        var ser = system.Serialization;
        foreach (var msg in Samples)
        {
            var s = ser.FindSerializerFor(msg);
            Assert.Equal("WireSerializer", s.GetType().Name);
            var bytes = s.ToBinary(msg);
            var back = s is SerializerWithStringManifest m
                ? m.FromBinary(bytes, m.Manifest(msg))
                : s.FromBinary(bytes, msg.GetType());
            Assert.Equal(msg.GetType(), back.GetType());
            Assert.Equal(JsonSerializer.Serialize(msg, msg.GetType()), JsonSerializer.Serialize(back, back.GetType()));
        }
    }

    /// <summary>Journal events are JSON: a connection's event carries its lease (holder path, epoch), and a row written
    /// before the lease was journaled still reads, without one.</summary>
    [Fact]
    public void A_journaled_connection_keeps_its_lease_and_older_rows_still_read()
    {
        using var system = ActorSystem.Create("ser-json", ClusterNode.Setup(new ClusterNodeOptions { Port = 0, Security = global::Switch.Testing.TestPki.Security }));
        var ser = new Switch.Actors.Cluster.JsonEventSerializer((ExtendedActorSystem)system);
        var saved = new ConnSaved(Img.Durable(), Array.Empty<ExpectData>(), 5, "akka.ssl.tcp://dswitch@10.0.0.1:4053/user/datapath#123", 77);
        var back = (ConnSaved)ser.FromBinary(ser.ToBinary(saved), ser.Manifest(saved));
        Assert.Equal(saved.Holder, back.Holder);
        Assert.Equal(77, back.LeaseEpoch);
        Assert.Equal(saved.Conn, back.Conn);
        // A row from before the lease and before the packed record: the connection as one field per member.
        var legacy = new { Zone = 3, Proto = 6, IsV6 = false, AHi = 0UL, ALo = 0x0a000001UL, BHi = 0UL, BLo = 0x0a000002UL, PortA = 1000,
            PortB = 80, OrigIsA = true, Status = 0x0f, Helper = 0, TcpState = 3, Mark = 7, LabelHi = 0UL, LabelLo = 9UL, CreatedUs = 111L, ExpiresUs = 222L };
        var old = JsonSerializer.SerializeToUtf8Bytes(new { Conn = legacy, Expectations = Array.Empty<ExpectData>(), SavedAtUs = 5L });
        var read = (ConnSaved)ser.FromBinary(old, "ConnSaved");
        Assert.Null(read.Holder);
        Assert.Equal(0, read.LeaseEpoch);
        Assert.Equal(Img.Durable(), read.Conn);
        Assert.Equal((ushort)1000, read.Conn.PortA);
        Assert.Equal(7u, read.Conn.Mark);
        // The journal keeps the record alone: the tracker is re-learned after a restore.
        Assert.Equal(ConnImage.RecordWords, back.Conn.W.Length);
    }
}
