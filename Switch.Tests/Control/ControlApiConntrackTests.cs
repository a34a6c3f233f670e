using System.Net;
using Switch.Contracts.Control;
using Xunit;

namespace Switch.Tests.Control;

[Trait("Category", Tiers.Unit)]
public class ControlApiConntrackTests : ControlServer
{
    [Fact]
    public async Task Packet_out_through_the_firewall_tracks_a_connection_both_ways()
    {
        await AddFirewall();
        var syn = await PostOk<PacketOutResult>("packet-out", new PacketOutRequest(null, 1, new[] { SynAToB }));
        Assert.Equal("n1", syn.Node);
        var f1 = Assert.Single(syn.Frames);
        Assert.Equal((1, "+new+trk", (ushort)1, 0u, null), (f1.Index, f1.CtState, f1.CtZone, f1.CtMark, f1.Drop));
        Assert.Equal(new uint[] { 2 }, f1.Outputs);

        var synAck = await PostOk<PacketOutResult>("packet-out", new PacketOutRequest("n1", 2, new[] { SynAckBToA }));
        var f2 = Assert.Single(synAck.Frames);
        Assert.Equal("+est+rpl+trk", f2.CtState);
        Assert.Equal(new uint[] { 1 }, f2.Outputs);

        // Outside may not open connections: B's SYN is new, and table 1 has no flow letting it through.
        var fromB = await PostOk<PacketOutResult>("packet-out", new PacketOutRequest(null, 2,
            new[] { Hex(Core.Packets.FrameBuilder.TcpV4(B, A, 41000, 22, Core.Packets.FrameBuilder.Syn, 9000)) }));
        Assert.Equal("+new+trk", fromB.Frames[0].CtState);
        Assert.Empty(fromB.Frames[0].Outputs);
        Assert.Equal("drop_action", fromB.Frames[0].Drop);
    }

    [Fact]
    public async Task Packet_out_rejects_bad_hex_bad_port_and_other_nodes()
    {
        var (status, error) = await PostError("packet-out", new PacketOutRequest(null, 1, new[] { SynAToB, "00zz" }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("packet 2: expected hex digits", error);
        (status, error) = await PostError("packet-out", new PacketOutRequest(null, 0, new[] { SynAToB }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("in_port:", error);
        (status, error) = await PostError("packet-out", new PacketOutRequest("n7", 1, new[] { SynAToB }));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("n7", error);
    }

    [Fact]
    public async Task Dump_and_flush_conntrack_by_zone_and_tuple()
    {
        await AddFirewall();
        await PostOk<PacketOutResult>("packet-out", new PacketOutRequest(null, 1, new[] { SynAToB }));
        var all = await Conntrack();
        var entry = Assert.Single(all);
        Assert.StartsWith("tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40000),zone=1", entry);
        Assert.Single(await Conntrack(1));
        Assert.Empty(await Conntrack(2));

        Assert.Equal(0, (await PostOk<FlushConntrackResult>("conntrack/flush", new FlushConntrackRequest(2, null))).Removed);
        Assert.Equal(0, (await PostOk<FlushConntrackResult>("conntrack/flush",
            new FlushConntrackRequest(1, "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=443)"))).Removed);
        Assert.Equal(0, (await PostOk<FlushConntrackResult>("conntrack/flush",
            new FlushConntrackRequest(null, "ct_nw_src=10.0.0.9,ct_nw_proto=6"))).Removed);
        Assert.Single(await Conntrack());
        // A line pasted from dump-conntrack names the connection (its reply part and protoinfo are not needed).
        Assert.Equal(1, (await PostOk<FlushConntrackResult>("conntrack/flush", new FlushConntrackRequest(1, entry[..entry.IndexOf(",zone=")]))).Removed);
        Assert.Empty(await Conntrack());
    }

    [Fact]
    public async Task Flush_by_ovs_fields_and_errors_name_the_column()
    {
        await AddFirewall();
        await PostOk<PacketOutResult>("packet-out", new PacketOutRequest(null, 1, new[] { SynAToB }));
        var (status, error) = await PostError("conntrack/flush", new FlushConntrackRequest(null, "tcp,ct_nw_src=10.0.0"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("tuple: column 15: expected an IPv4 address, got '10.0.0'", error);
        (status, error) = await PostError("conntrack/flush", new FlushConntrackRequest(null, "tcp,bogus=1"));
        Assert.StartsWith("tuple: column 5: expected a protocol", error);
        using var badZone = await Http.GetAsync("conntrack?zone=x");
        Assert.Equal(HttpStatusCode.BadRequest, badZone.StatusCode);
        Assert.Single(await Conntrack());
        Assert.Equal(1, (await PostOk<FlushConntrackResult>("conntrack/flush",
            new FlushConntrackRequest(null, "ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_nw_proto=6,ct_tp_src=40000,ct_tp_dst=80"))).Removed);
    }
}
