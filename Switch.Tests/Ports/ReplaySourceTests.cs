using Switch.Core.Packets;
using Switch.Core.Ports;
using Xunit;

namespace Switch.Tests.Ports;

[Trait("Category", Tiers.Unit)]
public class ReplaySourceTests
{
    private static byte[] Frame(byte tag) => FrameBuilder.UdpV4("10.0.0.1", "10.0.0.2", tag, 9);

    private static void WriteFile(string path, params (long Ts, byte Tag)[] frames)
    {
        using var w = new PcapWriter(path);
        foreach (var (ts, tag) in frames) w.Write(ts, Frame(tag));
    }

    private static (uint Port, long Ts, ushort Tag) Describe(Packet p)
    {
        var k = default(FlowKey);
        Assert.Equal(ParseResult.Ok, PacketParser.Parse(p.Span, p.InPort, ref k));
        return (p.InPort, p.TimestampUs, k.TpSrc);
    }

    [Fact]
    public void Interleaves_two_files_by_timestamp()
    {
        using var dir = new TempDir();
        WriteFile(dir.File("a.pcap"), (10, 1), (30, 2), (50, 3), (70, 4));
        WriteFile(dir.File("b.pcap"), (20, 11), (40, 12), (45, 13), (90, 14));

        var src = new ReplaySource(new ReplayInput(1, dir.File("a.pcap")), new ReplayInput(2, dir.File("b.pcap")));
        var got = src.Select(Describe).ToList();

        Assert.Equal(
        [
            (1u, 10L, (ushort)1), (2u, 20L, (ushort)11), (1u, 30L, (ushort)2), (2u, 40L, (ushort)12),
            (2u, 45L, (ushort)13), (1u, 50L, (ushort)3), (1u, 70L, (ushort)4), (2u, 90L, (ushort)14),
        ], got);
        Assert.Equal(4, src.Counters[0].FramesRead);
        Assert.Equal(4, src.Counters[1].FramesRead);
        Assert.Equal(0, src.Counters[0].NonEthernetSkipped);
    }

    [Fact]
    public void Equal_timestamps_keep_input_order_then_file_order()
    {
        using var dir = new TempDir();
        WriteFile(dir.File("a.pcap"), (5, 1), (5, 2), (6, 3));
        WriteFile(dir.File("b.pcap"), (5, 11), (5, 12));

        var got = new ReplaySource(new ReplayInput(7, dir.File("b.pcap")), new ReplayInput(3, dir.File("a.pcap")))
            .Select(p => Describe(p).Tag).ToList();

        Assert.Equal([11, 12, 1, 2, 3], got);
    }

    [Fact]
    public void Non_ethernet_frames_are_counted_and_skipped()
    {
        using var dir = new TempDir();
        WriteFile(dir.File("eth.pcap"), (1, 1), (3, 2));
        File.WriteAllBytes(dir.File("raw.pcap"), new ByteSink().PcapHeader(0xa1b2c3d4, LinkTypes.Raw)
            .PcapRecord(0, 2, [0x45]).PcapRecord(0, 4, [0x45]).ToArray());
        File.WriteAllBytes(dir.File("mixed.pcapng"), new ByteSink().SectionHeader()
            .InterfaceDescription(LinkTypes.Raw).InterfaceDescription(LinkTypes.Ethernet)
            .EnhancedPacket(0, 0, [0x45]).EnhancedPacket(1, 2, Frame(21)).ToArray());

        var src = new ReplaySource(new ReplayInput(1, dir.File("eth.pcap")), new ReplayInput(2, dir.File("raw.pcap")),
            new ReplayInput(3, dir.File("mixed.pcapng")));
        var got = src.Select(Describe).ToList();

        Assert.Equal([(1u, 1L, (ushort)1), (3u, 2L, (ushort)21), (1u, 3L, (ushort)2)], got);
        Assert.Equal((2L, 0L), (src.Counters[0].FramesRead, src.Counters[0].NonEthernetSkipped));
        Assert.Equal((2L, 2L), (src.Counters[1].FramesRead, src.Counters[1].NonEthernetSkipped));
        Assert.Equal((2L, 1L), (src.Counters[2].FramesRead, src.Counters[2].NonEthernetSkipped));
    }

    [Fact]
    public void Streams_rather_than_loading_whole_files()
    {
        using var dir = new TempDir();
        WriteFile(dir.File("a.pcap"), [.. Enumerable.Range(0, 1000).Select(i => ((long)i * 2, (byte)1))]);
        WriteFile(dir.File("b.pcap"), [.. Enumerable.Range(0, 1000).Select(i => ((long)i * 2 + 1, (byte)2))]);
        var src = new ReplaySource(new ReplayInput(1, dir.File("a.pcap")), new ReplayInput(2, dir.File("b.pcap")));

        using var e = src.GetEnumerator();
        for (int i = 0; i < 3; i++) Assert.True(e.MoveNext());

        // One record read ahead per file, no more.
        Assert.Equal(2, src.Counters[0].FramesRead);
        Assert.Equal(2, src.Counters[1].FramesRead);
    }

    [Fact]
    public void Packets_have_headroom_and_their_input_port()
    {
        using var dir = new TempDir();
        WriteFile(dir.File("a.pcap"), (42, 1));

        var p = Assert.Single(new ReplaySource(new ReplayInput(9, dir.File("a.pcap"))));

        Assert.Equal((9u, 42L), (p.InPort, p.TimestampUs));
        Assert.Equal(Packet.Headroom, p.Offset);
        Assert.Equal(Frame(1), p.Span.ToArray());
    }
}
