using System.Text.Json;
using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>A connection moves between an entity and a lease holder (image) and into a passivated entity's memory
/// (packed words) without losing anything: windows, state class, mark, label, deadline.</summary>
[Trait("Category", Tiers.Unit)]
public class ConnImageTests
{
    [Fact]
    public void Image_and_packed_state_carry_the_whole_connection()
    {
        var clock = new ManualClock(1_000_000);
        var engine = new ConntrackEngine(clock);
        void Send(byte[] frame, bool commit)
        {
            var p = Packet.From(frame, 1);
            var k = default(FlowKey);
            Assert.Equal(ParseResult.Ok, PacketParser.Parse(p.Span, 1, ref k));
            engine.Execute(ref p, ref k, new CtRequest(9, Commit: commit, SetMark: true, Mark: 0x42, MarkMask: 0xffffffff,
                SetLabel: true, Label: new UInt128(0xabc, 0xdef), LabelMask: UInt128.MaxValue));
        }
        Send(TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 100, 0, window: 29200), commit: true);
        Send(TcpV4("10.0.0.2", "10.0.0.1", 80, 40000, Syn | Ack, 500, 101, window: 28960), commit: false);
        Send(TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Ack, 101, 501), commit: false);
        var c = Assert.Single(engine.Connections);
        var image = ConnImages.From(c);
        var packed = ConnImages.Unpacked(ConnImages.Packed(c));
        Assert.Equal(JsonSerializer.Serialize(image), JsonSerializer.Serialize(packed));
        Assert.Equal(c.ExpiresUs, ConnImages.PackedExpiresUs(ConnImages.Packed(c)));

        var back = ConnImages.ToConnection(packed, new TimeoutTable(ConntrackSettings.Default.Timeouts));
        Assert.Equal(c.Key, back.Key);
        Assert.Equal(c.Status, back.Status);
        Assert.Equal(c.Mark, back.Mark);
        Assert.Equal(c.Label, back.Label);
        Assert.Equal(c.Tcp, back.Tcp);
        Assert.Equal(TcpState.Established, back.Tcp.State);
    }

    [Fact]
    public void A_udp_connection_packs_without_tracker_words()
    {
        var engine = new ConntrackEngine(new ManualClock(5_000_000));
        var p = Packet.From(UdpV4("10.0.0.1", "10.0.0.2", 5000, 53), 1);
        var k = default(FlowKey);
        PacketParser.Parse(p.Span, 1, ref k);
        engine.Execute(ref p, ref k, new CtRequest(3, Commit: true));
        var c = Assert.Single(engine.Connections);
        var packed = ConnImages.Packed(c);
        Assert.Equal(10, packed.Length);
        var back = ConnImages.ToConnection(ConnImages.Unpacked(packed), new TimeoutTable(ConntrackSettings.Default.Timeouts));
        Assert.Equal(c.Key, back.Key);
        Assert.Equal(c.Status, back.Status);
        Assert.Equal(c.ExpiresUs, back.ExpiresUs);
    }
}
