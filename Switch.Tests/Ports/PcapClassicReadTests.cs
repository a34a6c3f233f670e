using Switch.Core.Ports;
using Xunit;

namespace Switch.Tests.Ports;

[Trait("Category", Tiers.Unit)]
public class PcapClassicReadTests
{
    private static readonly byte[] FrameA = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0xaa];
    private static readonly byte[] FrameB = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x86, 0xdd, 0x60, 0];

    private static PcapReader Open(byte[] bytes) => new(new MemoryStream(bytes), "crafted.pcap");

    [Fact]
    public void Big_endian_microsecond_file()
    {
        var bytes = new ByteSink(bigEndian: true).PcapHeader(0xa1b2c3d4)
            .PcapRecord(1_600_000_000, 123_456, FrameA)
            .PcapRecord(1_600_000_001, 999_999, FrameB).ToArray();
        Assert.Equal(new byte[] { 0xa1, 0xb2, 0xc3, 0xd4 }, bytes[..4]);

        using var r = Open(bytes);
        Assert.Equal(PcapFileFormat.PcapMicroseconds, r.Format);
        var a = r.Read()!; var b = r.Read()!;
        Assert.Null(r.Read());
        Assert.Equal(1_600_000_000_123_456L, a.TimestampUs);
        Assert.Equal(FrameA, a.Data);
        Assert.Equal(1_600_000_001_999_999L, b.TimestampUs);
        Assert.Equal(FrameB, b.Data);
        Assert.True(a.IsEthernet);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Nanosecond_file_in_either_byte_order_truncates_to_microseconds(bool bigEndian)
    {
        var bytes = new ByteSink(bigEndian).PcapHeader(0xa1b23c4d)
            .PcapRecord(10, 123_456_789, FrameA)
            .PcapRecord(11, 999_999_999, FrameB).ToArray();

        using var r = Open(bytes);
        Assert.Equal(PcapFileFormat.PcapNanoseconds, r.Format);
        Assert.Equal(10_123_456L, r.Read()!.TimestampUs);
        Assert.Equal(11_999_999L, r.Read()!.TimestampUs);
        Assert.Null(r.Read());
    }

    [Fact]
    public void Link_type_is_exposed_so_callers_can_skip_non_ethernet()
    {
        var bytes = new ByteSink().PcapHeader(0xa1b2c3d4, linkType: LinkTypes.Raw).PcapRecord(1, 0, [0x45, 0]).ToArray();

        using var r = Open(bytes);
        var rec = r.Read()!;
        Assert.Equal(LinkTypes.Raw, rec.LinkType);
        Assert.False(rec.IsEthernet);
    }

    [Fact]
    public void Fcs_flags_in_the_link_type_word_do_not_change_the_link_type()
    {
        // pcap-linktype(7): bit 28 set with an FCS length of 4 in bits 26-27.
        var bytes = new ByteSink().PcapHeader(0xa1b2c3d4).ToArray();
        BitConverter.GetBytes(1u | 0x1000_0000u | (2u << 26)).CopyTo(bytes, 20);
        bytes = [.. bytes, .. new ByteSink().PcapRecord(1, 0, FrameA).ToArray()];

        using var r = Open(bytes);
        Assert.Equal(LinkTypes.Ethernet, r.Read()!.LinkType);
    }

    [Fact]
    public void Records_handed_out_stay_valid_after_further_reads()
    {
        var bytes = new ByteSink().PcapHeader(0xa1b2c3d4).PcapRecord(1, 0, FrameA).PcapRecord(2, 0, FrameB).ToArray();

        using var r = Open(bytes);
        var first = r.Read()!;
        _ = r.Read();
        Assert.Equal(FrameA, first.Data);
    }
}
