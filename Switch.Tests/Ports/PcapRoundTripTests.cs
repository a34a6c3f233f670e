using Switch.Core.Packets;
using Switch.Core.Ports;
using Xunit;

namespace Switch.Tests.Ports;

[Trait("Category", Tiers.Unit)]
public class PcapRoundTripTests
{
    private static List<PcapRecord> ReadAll(byte[] file)
    {
        using var r = new PcapReader(new MemoryStream(file), "mem.pcap");
        return [.. r.ReadAll()];
    }

    private static readonly (long Ts, byte[] Frame)[] Frames =
    [
        (0, FrameBuilder.UdpV4("10.0.0.1", "10.0.0.2", 1000, 53, "q"u8)),
        (1_700_000_000_000_001, FrameBuilder.TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, FrameBuilder.Syn)),
        (1_700_000_000_999_999, FrameBuilder.TcpV6("2001:db8::1", "2001:db8::2", 40000, 443, FrameBuilder.Ack, payload: new byte[1400])),
        (4_294_967_295_000_000, new byte[] { 1, 2, 3 }),
    ];

    [Fact]
    public void Written_frames_read_back_byte_for_byte_with_timestamps()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, leaveOpen: true))
            foreach (var (ts, f) in Frames) w.Write(ts, f);

        var back = ReadAll(ms.ToArray());

        Assert.Equal(Frames.Length, back.Count);
        for (int i = 0; i < Frames.Length; i++)
        {
            Assert.Equal(Frames[i].Ts, back[i].TimestampUs);
            Assert.Equal(Frames[i].Frame, back[i].Data);
            Assert.Equal(LinkTypes.Ethernet, back[i].LinkType);
        }
    }

    [Fact]
    public void Rewriting_what_was_read_gives_the_same_file()
    {
        var first = new MemoryStream();
        using (var w = new PcapWriter(first, leaveOpen: true))
            foreach (var (ts, f) in Frames) w.Write(ts, f);
        var second = new MemoryStream();
        using (var w = new PcapWriter(second, leaveOpen: true))
            foreach (var r in ReadAll(first.ToArray())) w.Write(r.TimestampUs, r.Data);

        Assert.Equal(first.ToArray(), second.ToArray());
    }

    [Fact]
    public void Header_is_classic_little_endian_microsecond_ethernet_with_snaplen_262144()
    {
        var ms = new MemoryStream();
        new PcapWriter(ms, leaveOpen: true).Dispose();

        var expected = new ByteSink().PcapHeader(0xa1b2c3d4, linkType: 1, snapLen: 262144).ToArray();
        Assert.Equal(expected, ms.ToArray());
    }

    [Fact]
    public void A_file_with_no_packets_is_valid_even_before_dispose()
    {
        using var dir = new TempDir();
        var path = dir.File("port-1.pcap");
        using var w = new PcapWriter(path);

        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var r = new PcapReader(fs, path);
        Assert.Equal(PcapFileFormat.PcapMicroseconds, r.Format);
        Assert.Null(r.Read());
    }

    [Fact]
    public void Frames_longer_than_the_snaplen_are_cut_keeping_the_original_length()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, leaveOpen: true)) w.Write(5, new byte[PcapWriter.SnapLen + 10]);

        var bytes = ms.ToArray();
        Assert.Equal(24 + 16 + PcapWriter.SnapLen, bytes.Length);
        Assert.Equal((uint)PcapWriter.SnapLen + 10, BitConverter.ToUInt32(bytes, 24 + 12));
        Assert.Equal(PcapWriter.SnapLen, Assert.Single(ReadAll(bytes)).Data.Length);
    }

    [Fact]
    public void ReadFile_streams_a_file_from_disk()
    {
        using var dir = new TempDir();
        var path = dir.File("a.pcap");
        using (var w = new PcapWriter(path))
            foreach (var (ts, f) in Frames) w.Write(ts, f);

        Assert.Equal(Frames.Select(f => f.Ts), PcapReader.ReadFile(path).Select(r => r.TimestampUs));
    }
}
