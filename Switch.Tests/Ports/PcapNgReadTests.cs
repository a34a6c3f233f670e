using Switch.Core.Ports;
using Xunit;

namespace Switch.Tests.Ports;

[Trait("Category", Tiers.Unit)]
public class PcapNgReadTests
{
    private static readonly byte[] Eth1 = [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 0x08, 0x00, 0x45];
    private static readonly byte[] Raw2 = [0x45, 0, 0, 20, 9, 9, 9];
    private static readonly byte[] Eth3 = [3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 0x86, 0xdd, 0x60, 0, 0];

    private static List<PcapRecord> ReadAll(byte[] bytes, out PcapFileFormat format)
    {
        using var r = new PcapReader(new MemoryStream(bytes), "crafted.pcapng");
        format = r.Format;
        return [.. r.ReadAll()];
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_interfaces_nanosecond_resolution_enhanced_and_simple_packets_unknown_block_skipped(bool bigEndian)
    {
        const ulong ns = 1_700_000_000_123_456_789;
        var bytes = new ByteSink(bigEndian)
            .SectionHeader()
            .InterfaceDescription(LinkTypes.Ethernet, snapLen: 0)                 // if 0: default microseconds
            .InterfaceDescription(LinkTypes.Raw, snapLen: 0, tsResol: 9)          // if 1: nanoseconds
            .EnhancedPacket(1, ns, Raw2)
            .Block(0x0000_0BAD, [0xde, 0xad, 0xbe, 0xef, 1])                      // custom block: skipped
            .Block(0x4000_0BAD, [])
            .EnhancedPacket(0, 1_700_000_001_000_000, Eth1)
            .SimplePacket(Eth3)
            .ToArray();

        var recs = ReadAll(bytes, out var format);

        Assert.Equal(PcapFileFormat.PcapNg, format);
        Assert.Equal(3, recs.Count);
        Assert.Equal(1_700_000_000_123_456L, recs[0].TimestampUs);
        Assert.Equal(LinkTypes.Raw, recs[0].LinkType);
        Assert.Equal(Raw2, recs[0].Data);
        Assert.Equal(1_700_000_001_000_000L, recs[1].TimestampUs);
        Assert.Equal(LinkTypes.Ethernet, recs[1].LinkType);
        Assert.Equal(Eth1, recs[1].Data);
        // The simple packet block has no timestamp (uses the previous one) and belongs to interface 0.
        Assert.Equal(1_700_000_001_000_000L, recs[2].TimestampUs);
        Assert.Equal(LinkTypes.Ethernet, recs[2].LinkType);
        Assert.Equal(Eth3, recs[2].Data);
    }

    [Fact]
    public void Power_of_two_resolution_when_the_high_bit_is_set()
    {
        // 2^-10 s units: 3.5 s = 3584 ticks.
        var bytes = new ByteSink().SectionHeader().InterfaceDescription(1, tsResol: 0x80 | 10)
            .EnhancedPacket(0, 3584, Eth1).ToArray();

        Assert.Equal(3_500_000L, Assert.Single(ReadAll(bytes, out _)).TimestampUs);
    }

    [Fact]
    public void Simple_packet_is_cut_to_the_interface_snaplen()
    {
        var bytes = new ByteSink().SectionHeader().InterfaceDescription(1, snapLen: 14).SimplePacket(Eth3).ToArray();

        Assert.Equal(Eth3[..14], Assert.Single(ReadAll(bytes, out _)).Data);
    }

    [Fact]
    public void A_second_section_may_switch_byte_order_and_numbers_its_interfaces_afresh()
    {
        var le = new ByteSink().SectionHeader().InterfaceDescription(LinkTypes.Raw).EnhancedPacket(0, 5, Raw2).ToArray();
        var be = new ByteSink(bigEndian: true).SectionHeader().InterfaceDescription(LinkTypes.Ethernet, tsResol: 3)
            .EnhancedPacket(0, 7, Eth1).ToArray();

        var recs = ReadAll([.. le, .. be], out _);

        Assert.Equal(2, recs.Count);
        Assert.Equal((5L, LinkTypes.Raw), (recs[0].TimestampUs, recs[0].LinkType));
        Assert.Equal((7_000L, LinkTypes.Ethernet), (recs[1].TimestampUs, recs[1].LinkType));
        Assert.Equal(Eth1, recs[1].Data);
    }

    [Fact]
    public void A_section_with_no_packets_yields_nothing()
    {
        var bytes = new ByteSink().SectionHeader().InterfaceDescription(1).ToArray();

        Assert.Empty(ReadAll(bytes, out _));
    }
}
