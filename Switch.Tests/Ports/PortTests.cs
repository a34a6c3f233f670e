using Switch.Core.Packets;
using Switch.Core.Ports;
using Xunit;

namespace Switch.Tests.Ports;

[Trait("Category", Tiers.Unit)]
public class PortTests
{
    private static readonly byte[] Small = FrameBuilder.UdpV4("10.0.0.1", "10.0.0.2", 1, 2, new byte[100]);   // L3 128
    private static readonly byte[] Big = FrameBuilder.UdpV4("10.0.0.1", "10.0.0.2", 1, 2, new byte[1472]);    // L3 1500
    private static readonly byte[] BigTagged = FrameBuilder.Eth(FrameBuilder.MacB, FrameBuilder.MacA, EtherTypes.Ipv4,
        Big.AsSpan(14), 0x0064);                                                                               // L3 1500 + tag

    [Fact]
    public void PcapFilePort_writes_every_sent_packet_and_counts()
    {
        using var dir = new TempDir();
        var path = dir.File("port-3.pcap");
        using (var port = new PcapFilePort(3, "p3", path))
        {
            port.Send(Packet.From(Small, 1, 1_000));
            port.Send(Packet.From(Big, 2, 2_000));
            Assert.Equal((3u, "p3", 0), (port.Number, port.Name, port.Mtu));
            Assert.Equal(2, port.Counters.TxPackets);
            Assert.Equal(Small.Length + Big.Length, port.Counters.TxBytes);
            Assert.Equal(0, port.Counters.TxDropped);
        }

        var recs = PcapReader.ReadFile(path).ToList();
        Assert.Equal([1_000L, 2_000L], recs.Select(r => r.TimestampUs));
        Assert.Equal(Small, recs[0].Data);
        Assert.Equal(Big, recs[1].Data);
    }

    [Fact]
    public void PcapFilePort_with_nothing_sent_leaves_a_valid_empty_capture()
    {
        using var dir = new TempDir();
        var path = dir.File("port-1.pcap");
        new PcapFilePort(1, "p1", path).Dispose();

        Assert.Empty(PcapReader.ReadFile(path));
    }

    [Fact]
    public void PcapFilePort_drops_packets_over_its_mtu()
    {
        using var dir = new TempDir();
        var path = dir.File("port-2.pcap");
        using (var port = new PcapFilePort(2, "p2", path, mtu: 1499))
        {
            port.Send(Packet.From(Small));
            port.Send(Packet.From(Big));
            Assert.Equal((1L, 1L), (port.Counters.TxPackets, port.Counters.TxDropped));
        }
        Assert.Single(PcapReader.ReadFile(path));
    }

    [Fact]
    public void InMemoryPort_keeps_copies_and_counts()
    {
        using var port = new InMemoryPort(4);
        var p = Packet.From(Small, 1, 77);
        port.Send(p);
        p.Span.Clear(); // the sender may reuse its buffer once Send returns

        var sent = Assert.Single(port.Sent);
        Assert.Equal(Small, sent.Data);
        Assert.Equal(77, sent.TimestampUs);
        Assert.Equal((1L, (long)Small.Length), (port.Counters.TxPackets, port.Counters.TxBytes));
        Assert.Equal("mem4", port.Name);

        port.Clear();
        Assert.Empty(port.Sent);
        Assert.Equal(1, port.Counters.TxPackets);
    }

    [Fact]
    public void Mtu_counts_the_l3_packet_not_the_ethernet_header_or_vlan_tags()
    {
        using var port = new InMemoryPort(5, "p5", mtu: 1500);
        port.Send(Packet.From(Big));
        port.Send(Packet.From(BigTagged));
        port.Send(Packet.From(FrameBuilder.UdpV4("10.0.0.1", "10.0.0.2", 1, 2, new byte[1473])));

        Assert.Equal(2, port.Sent.Count);
        Assert.Equal((2L, 1L), (port.Counters.TxPackets, port.Counters.TxDropped));
        Assert.Equal(Big.Length + BigTagged.Length, port.Counters.TxBytes);
    }
}
