using System.Text.Json;
using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>A connection moves between an entity and a lease holder, into a passivated entity's memory and into the
/// journal as one image: the image keeps everything (windows, state class, mark, label, deadline); the journal's keeps
/// all but the windows, which a restored connection re-learns.</summary>
[Trait("Category", Tiers.Unit)]
public class ConnImageTests
{
    [Fact]
    public void The_image_carries_the_whole_connection_and_the_journal_all_but_the_windows()
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
        Assert.Equal(19, image.W.Length);
        Assert.Equal(c.ExpiresUs, image.ExpiresUs);
        Assert.Equal(image, JsonSerializer.Deserialize<ConnImage>(JsonSerializer.Serialize(image)));

        var back = ConnImages.ToConnection(image, new TimeoutTable(ConntrackSettings.Default.Timeouts));
        Assert.Equal(c.Key, back.Key);
        Assert.Equal(c.Status, back.Status);
        Assert.Equal(c.Mark, back.Mark);
        Assert.Equal(c.Label, back.Label);
        Assert.Equal(c.Tcp, back.Tcp);
        Assert.Equal(TcpState.Established, back.Tcp.State);

        var journaled = ConnImages.ToConnection(image.Durable(), new TimeoutTable(ConntrackSettings.Default.Timeouts));
        Assert.Equal((c.Key, c.Status, c.Mark, c.Label, c.ExpiresUs), (journaled.Key, journaled.Status, journaled.Mark, journaled.Label, journaled.ExpiresUs));
        Assert.Equal(TcpState.Established, journaled.Tcp.State);
        Assert.True(journaled.Tcp.Orig.Flags.HasFlag(TcpPeerFlags.BeLiberal));
        Assert.True(ConnImages.SameClass(c, image.Durable()));
        c.Mark = 7;
        Assert.False(ConnImages.SameClass(c, image));
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
        var image = ConnImages.From(c);
        Assert.Equal(10, image.W.Length);
        var back = ConnImages.ToConnection(image, new TimeoutTable(ConntrackSettings.Default.Timeouts));
        Assert.Equal(c.Key, back.Key);
        Assert.Equal(c.Status, back.Status);
        Assert.Equal(c.ExpiresUs, back.ExpiresUs);
    }
}
