using Akka.Actor;
using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Tests.Conntrack;
using Xunit;
using F = Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>
/// The conntrack scenarios run against both implementations: the in-process engine and the cluster's sharded
/// entities (each packet entering the other node than the one before). They must answer the same bits.
/// </summary>
public abstract class ConntrackParityScenarios
{
    private static int _zone = 100;
    protected readonly ushort Z = (ushort)Interlocked.Increment(ref _zone);

    /// <summary>ct_state names ("trk,new") or "DROP:reason" / "STOLEN", as <see cref="CtHarness"/> prints them.</summary>
    protected abstract Task<string> Ct(int packet, byte[] frame, CtRequest req);

    private int _n;
    private Task<string> Run(byte[] frame, bool commit = false, CtAlg alg = CtAlg.None, bool force = false, uint? mark = null) =>
        Ct(_n++, frame, new CtRequest(Z, commit, force, alg, mark is not null, mark ?? 0, mark is null ? 0 : 0xffffffff));

    private const string A = "10.1.0.1", B = "10.1.0.2";

    [Fact]
    public async Task Tcp_handshake_data_fin_teardown()
    {
        Assert.Equal("new,trk", await Run(CtHarness.Tcp(A, B, 1111, 80, F.Syn, 100, 0), commit: true));
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Tcp(B, A, 80, 1111, F.Syn | F.Ack, 900, 101)));
        Assert.Equal("est,trk", await Run(CtHarness.Tcp(A, B, 1111, 80, F.Ack, 101, 901)));
        Assert.Equal("est,trk", await Run(CtHarness.Tcp(A, B, 1111, 80, F.Psh | F.Ack, 101, 901, "hello")));
        Assert.Equal("est,trk", await Run(CtHarness.Tcp(A, B, 1111, 80, F.Fin | F.Ack, 106, 901)));
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Tcp(B, A, 80, 1111, F.Fin | F.Ack, 901, 107)));
        Assert.Equal("est,trk", await Run(CtHarness.Tcp(A, B, 1111, 80, F.Ack, 107, 902)));
    }

    [Fact]
    public async Task Syn_ack_with_no_connection_is_invalid_and_uncommitted_is_new_every_time()
    {
        Assert.Equal("inv,trk", await Run(CtHarness.Tcp(B, A, 80, 2222, F.Syn | F.Ack, 5, 6)));
        Assert.Equal("new,trk", await Run(CtHarness.Udp(A, B, 3000, 53)));
        Assert.Equal("new,trk", await Run(CtHarness.Udp(B, A, 53, 3000)));
        Assert.Equal("new,trk", await Run(CtHarness.Udp(A, B, 3000, 53)));
    }

    [Fact]
    public async Task Udp_and_icmp_echo_become_established_on_reply()
    {
        Assert.Equal("new,trk", await Run(CtHarness.Udp(A, B, 3001, 53), commit: true));
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Udp(B, A, 53, 3001)));
        Assert.Equal("est,trk", await Run(CtHarness.Udp(A, B, 3001, 53)));
        Assert.Equal("new,trk", await Run(CtHarness.Icmp(A, B, 8, 0, 77), commit: true));
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Icmp(B, A, 0, 0, 77)));
    }

    [Fact]
    public async Task Icmp_error_for_a_tracked_connection_is_related_in_the_reply_direction()
    {
        var udp = CtHarness.Udp(A, B, 3002, 5000);
        Assert.Equal("new,trk", await Run(udp, commit: true));
        var quote = CtHarness.L3(udp)[..28];
        var err = F.Eth(F.MacA, F.MacB, EtherTypes.Ipv4, F.Ipv4(F.Ip(B), F.Ip(A), IpProtos.Icmp, F.Icmp(3, 3, 0, quote)));
        Assert.Equal("rel,rpl,trk", await Run(err));
        var stray = F.Eth(F.MacA, F.MacB, EtherTypes.Ipv4, F.Ipv4(F.Ip(B), F.Ip(A), IpProtos.Icmp, F.Icmp(3, 3, 0, CtHarness.L3(CtHarness.Udp(A, B, 9999, 9))[..28])));
        Assert.Equal("inv,trk", await Run(stray));
    }

    [Fact]
    public async Task Mark_set_on_commit_is_reported_on_later_packets()
    {
        await Run(CtHarness.Udp(A, B, 3003, 53), commit: true, mark: 0x42);
        await Run(CtHarness.Udp(B, A, 53, 3003));
        Assert.Equal(0x42u, LastMark);
    }

    [Fact]
    public async Task Force_restarts_a_connection_seen_from_the_other_side()
    {
        await Run(CtHarness.Udp(A, B, 3004, 53), commit: true);
        Assert.Equal("new,trk", await Run(CtHarness.Udp(B, A, 53, 3004), commit: true, force: true));
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Udp(A, B, 3004, 53)));
    }

    [Fact]
    public async Task Ftp_passive_data_connection_is_related()
    {
        uint c = 1000, s = 5000;
        await Run(CtHarness.Tcp(A, B, 40001, 21, F.Syn, c, 0), commit: true, alg: CtAlg.Ftp);
        await Run(CtHarness.Tcp(B, A, 21, 40001, F.Syn | F.Ack, s, c + 1));
        await Run(CtHarness.Tcp(A, B, 40001, 21, F.Ack, c + 1, s + 1));
        const string reply = "227 Entering Passive Mode (10,1,0,2,200,10).\r\n";
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Tcp(B, A, 21, 40001, F.Psh | F.Ack, s + 1, c + 1, reply), commit: true, alg: CtAlg.Ftp));
        Assert.Equal("new,rel,trk", await Run(CtHarness.Tcp(A, B, 50123, 51210, F.Syn, 1, 0), commit: true));
        Assert.Equal("est,rel,rpl,trk", await Run(CtHarness.Tcp(B, A, 51210, 50123, F.Syn | F.Ack, 9, 2)));
    }

    [Fact]
    public async Task Tftp_reply_from_any_server_port_is_related()
    {
        var rrq = new byte[] { 0, 1, (byte)'f', 0, (byte)'o', (byte)'c', (byte)'t', (byte)'e', (byte)'t', 0 };
        await Run(CtHarness.Udp(A, B, 3005, 69, rrq), commit: true, alg: CtAlg.Tftp);
        Assert.Equal("new,rel,trk", await Run(CtHarness.Udp(B, A, 4321, 3005, new byte[] { 0, 3, 0, 1 }), commit: true));
    }

    [Fact]
    public async Task Fragments_are_held_then_tracked_as_one_datagram()
    {
        var whole = F.Ipv4(F.Ip(A), F.Ip(B), IpProtos.Udp, F.Udp(3006, 7000, new byte[1600]), id: 4242);
        var l4 = whole.AsSpan(20).ToArray();
        byte[] Frag(int ofs, int n, bool more) => F.Eth(F.MacB, F.MacA, EtherTypes.Ipv4,
            F.Ipv4(F.Ip(A), F.Ip(B), IpProtos.Udp, l4.AsSpan(ofs, n), id: 4242, fragOffset: ofs, mf: more, fillL4Checksum: false));
        Assert.Equal("STOLEN", await Run(Frag(800, l4.Length - 800, false), commit: true));
        Assert.Equal("new,trk", await Run(Frag(0, 800, true), commit: true));
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Udp(B, A, 7000, 3006)));
    }

    [Fact]
    public async Task Zones_keep_equal_tuples_apart()
    {
        await Run(CtHarness.Udp(A, B, 3007, 53), commit: true);
        var other = await Ct(_n++, CtHarness.Udp(B, A, 53, 3007), new CtRequest((ushort)(Z + 5000)));
        Assert.Equal("new,trk", other);
        Assert.Equal("est,rpl,trk", await Run(CtHarness.Udp(B, A, 53, 3007)));
    }

    protected uint LastMark;
}

[Trait("Category", Tiers.Cluster)]
public sealed class InProcessParityTests : ConntrackParityScenarios
{
    private readonly CtHarness _h = new();

    protected override Task<string> Ct(int packet, byte[] frame, CtRequest req)
    {
        var s = _h.Ct(frame, req);
        LastMark = _h.LastKey.CtMark;
        return Task.FromResult(s);
    }
}

/// <summary>One two-node cluster shared by the scenarios (distinct zones keep them apart).</summary>
[Trait("Category", Tiers.Cluster)]
public sealed class TwoNodeCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public async Task InitializeAsync() => Cluster = await TestCluster.StartAsync(2);
    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public sealed class ClusterParityTests : ConntrackParityScenarios, IClassFixture<TwoNodeCluster>
{
    private readonly TestCluster _c;
    private static long _id;

    public ClusterParityTests(TwoNodeCluster f) => _c = f.Cluster;

    /// <summary>Asks the entity the way a node's datapath does, entering node (packet % 2).</summary>
    protected override async Task<string> Ct(int packet, byte[] frame, CtRequest req)
    {
        var region = _c.Nodes[packet % 2].Region;
        var key = new FlowKey();
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(frame, 1, ref key));
        while (true)
        {
            var q = new CtQuery(Interlocked.Increment(ref _id), CtRouting.EntityId(frame, key, req.Zone), frame, 1,
                CtWire.Meta(key), CtWire.CtWords(key), CtWire.ToWire(req));
            var r = await region.Ask<CtReply>(q, TimeSpan.FromSeconds(10));
            switch (r.Verdict)
            {
                case CtWireVerdict.Reassembled:
                    frame = r.Frame!;
                    key = new FlowKey();
                    PacketParser.Parse(frame, 1, ref key);
                    continue;
                case CtWireVerdict.Stolen: return "STOLEN";
                case CtWireVerdict.Drop: return "DROP:" + r.DropReason;
            }
            CtWire.ApplyCtWords(ref key, r.KeyWords);
            LastMark = key.CtMark;
            return CtHarness.Names(key.CtState);
        }
    }
}
