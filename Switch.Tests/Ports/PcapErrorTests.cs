using Switch.Core.Ports;
using Xunit;

namespace Switch.Tests.Ports;

[Trait("Category", Tiers.Unit)]
public class PcapErrorTests
{
    private const string Name = "bad.pcap";
    private static readonly byte[] Frame = new byte[60];

    private static PcapFormatException ReadFails(byte[] bytes)
    {
        return Assert.Throws<PcapFormatException>(() =>
        {
            using var r = new PcapReader(new MemoryStream(bytes), Name);
            while (r.Read() is not null) { }
        });
    }

    private static void AssertNames(PcapFormatException e, long offset, string problem)
    {
        Assert.Equal(Name, e.File);
        Assert.Equal(offset, e.Offset);
        Assert.Contains(Name, e.Message);
        Assert.Contains($"byte {offset}", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Truncated_record_data_names_the_file_and_offset()
    {
        var bytes = new ByteSink().PcapHeader(0xa1b2c3d4).PcapRecord(1, 0, Frame).PcapRecord(2, 0, Frame).ToArray();

        var e = ReadFails(bytes[..^10]);

        // Second record's header at 24 + 16 + 60 = 100, its data at 116.
        AssertNames(e, 116, "truncated pcap record data: needs 60 bytes, the file ends after 50");
    }

    [Fact]
    public void Truncated_record_header()
    {
        var bytes = new ByteSink().PcapHeader(0xa1b2c3d4).PcapRecord(1, 0, Frame).ToArray();

        AssertNames(ReadFails([.. bytes, 1, 2, 3]), 100, "truncated pcap record header");
    }

    [Fact]
    public void Truncated_file_header()
    {
        AssertNames(ReadFails(new ByteSink().PcapHeader(0xa1b2c3d4).ToArray()[..10]), 4, "truncated pcap file header");
    }

    [Fact]
    public void Empty_file()
    {
        AssertNames(ReadFails([]), 0, "truncated file magic");
    }

    [Fact]
    public void Unknown_magic()
    {
        AssertNames(ReadFails("GIF89a........................"u8.ToArray()), 0, "not a pcap or pcapng file (magic 0x47494638)");
    }

    [Fact]
    public void Implausible_captured_length()
    {
        var bytes = new ByteSink().PcapHeader(0xa1b2c3d4).U32(1).U32(0).U32(0x7fff_ffff).U32(60).ToArray();

        AssertNames(ReadFails(bytes), 32, "captured length 2147483647 exceeds");
    }

    [Fact]
    public void Truncated_pcapng_block()
    {
        var bytes = new ByteSink().SectionHeader().InterfaceDescription(1).EnhancedPacket(0, 1, Frame).ToArray();
        int epbAt = new ByteSink().SectionHeader().InterfaceDescription(1).Length;

        var e = ReadFails(bytes[..^8]);

        AssertNames(e, epbAt + 8, "truncated pcapng block (type 0x00000006");
    }

    [Fact]
    public void Pcapng_trailing_length_mismatch()
    {
        var bytes = new ByteSink().SectionHeader().InterfaceDescription(1).EnhancedPacket(0, 1, Frame).ToArray();
        bytes[^4] ^= 4;

        AssertNames(ReadFails(bytes), bytes.Length - 4, "trailing length");
    }

    [Fact]
    public void Pcapng_bad_byte_order_magic()
    {
        var bytes = new ByteSink().SectionHeader().ToArray();
        bytes[8] = 0;

        AssertNames(ReadFails(bytes), 8, "byte-order magic");
    }

    [Fact]
    public void Pcapng_block_length_not_a_multiple_of_4()
    {
        var bytes = new ByteSink().SectionHeader().U32(6).U32(30).ToArray();

        AssertNames(ReadFails(bytes), 32, "total length 30 is not a multiple of 4");
    }

    [Fact]
    public void Pcapng_packet_on_an_undescribed_interface()
    {
        var bytes = new ByteSink().SectionHeader().InterfaceDescription(1).EnhancedPacket(3, 1, Frame).ToArray();
        int epbAt = new ByteSink().SectionHeader().InterfaceDescription(1).Length;

        AssertNames(ReadFails(bytes), epbAt + 8, "interface 3 is not described");
    }

    [Fact]
    public void Pcapng_captured_length_beyond_the_block()
    {
        var bytes = new ByteSink().SectionHeader().InterfaceDescription(1).EnhancedPacket(0, 1, Frame).ToArray();
        int epbAt = new ByteSink().SectionHeader().InterfaceDescription(1).Length;
        BitConverter.GetBytes(200u).CopyTo(bytes, epbAt + 8 + 12);

        AssertNames(ReadFails(bytes), epbAt + 8 + 12, "captured length 200 exceeds the block");
    }

    [Fact]
    public void A_truncated_file_on_disk_is_named_by_its_path()
    {
        using var dir = new TempDir();
        var path = dir.File("port-1.pcap");
        File.WriteAllBytes(path, new ByteSink().PcapHeader(0xa1b2c3d4).PcapRecord(1, 0, Frame).ToArray()[..50]);

        var e = Assert.Throws<PcapFormatException>(() => PcapReader.ReadFile(path).ToList());
        Assert.StartsWith(path + ": at byte 40: truncated", e.Message);
    }
}

[Trait("Category", Tiers.Unit)]
public class PcapNgEmptyPacketBlockTests
{
    // Regression (issue 12): an enhanced or obsolete packet block with an empty body read its interface id before its
    // length was checked, and the process died with an ArgumentOutOfRangeException.
    [Theory]
    [InlineData(6u, "bad enhanced packet block: body shorter than 20 bytes")]
    [InlineData(2u, "bad packet block: body shorter than 20 bytes")]
    [InlineData(6u, "bad enhanced packet block: body shorter than 20 bytes", 2)]
    [InlineData(2u, "bad packet block: body shorter than 20 bytes", 1)]
    public void A_packet_block_with_a_short_body_is_a_format_error(uint type, string problem, int bodyBytes = 0)
    {
        var head = new ByteSink().SectionHeader().InterfaceDescription(1);
        int at = head.Length;
        var bytes = head.Block(type, new byte[bodyBytes * 4]).ToArray();

        var e = Assert.Throws<PcapFormatException>(() =>
        {
            using var r = new PcapReader(new MemoryStream(bytes), "empty.pcapng");
            while (r.Read() is not null) { }
        });
        Assert.Equal(at + 8, e.Offset);
        Assert.Contains(problem, e.Message);
    }
}
