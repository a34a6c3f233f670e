using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Switch.Core.Packets;

/// <summary>Internet checksum (RFC 1071) and the TCP/UDP/ICMPv6 pseudo-header sums (RFC 793, 768, 8200 8.1).</summary>
public static class Checksum
{
    /// <summary>The one's-complement sum of <paramref name="data"/> added to <paramref name="sum"/>, folded to 16 bits
    /// (not complemented). Taken 32 bits at a time, which gives the same sum as 16-bit words (RFC 1071 section 2), so
    /// conntrack can verify every packet's checksum cheaply.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        ulong acc = sum;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            acc += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            acc += BinaryPrimitives.ReadUInt32BigEndian(data[(i + 4)..]);
        }
        if (i + 4 <= data.Length) { acc += BinaryPrimitives.ReadUInt32BigEndian(data[i..]); i += 4; }
        if (i + 2 <= data.Length) { acc += BinaryPrimitives.ReadUInt16BigEndian(data[i..]); i += 2; }
        if (i < data.Length) acc += (uint)data[i] << 8;
        acc = (acc & 0xffff_ffff) + (acc >> 32);
        acc = (acc & 0xffff_ffff) + (acc >> 32);
        uint s = (uint)acc;
        s = (s & 0xffff) + (s >> 16);
        s = (s & 0xffff) + (s >> 16);
        return s;
    }

    /// <summary>True when a received segment (its checksum field included) sums to 0xffff with its pseudo-header:
    /// nf_conntrack_checksum=1's check.</summary>
    public static bool Verify(ReadOnlySpan<byte> l4, bool isV6, UInt128 src, UInt128 dst, byte proto, bool pseudo)
    {
        uint acc = 0;
        if (pseudo) acc = isV6 ? PseudoV6(src, dst, proto, l4.Length) : PseudoV4((uint)src, (uint)dst, proto, l4.Length);
        return Sum(l4, acc) == 0xffff;
    }

    public static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Recomputes the IPv4 header checksum in place.</summary>
    public static void FixIpv4Header(Span<byte> ipHeader)
    {
        int ihl = (ipHeader[0] & 0x0f) * 4;
        ipHeader[10] = 0; ipHeader[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ipHeader[10..], Fold(Sum(ipHeader[..ihl])));
    }

    public static uint PseudoV4(uint src, uint dst, byte proto, int l4Len) =>
        (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint)l4Len;

    public static uint PseudoV6(UInt128 src, UInt128 dst, byte proto, int l4Len)
    {
        uint s = 0;
        for (int i = 0; i < 8; i++) s += (uint)((src >> (i * 16)) & 0xffff) + (uint)((dst >> (i * 16)) & 0xffff);
        return s + proto + (uint)l4Len;
    }

    /// <summary>Recomputes the transport checksum of a complete (unfragmented) TCP, UDP, ICMP or ICMPv6
    /// segment in place. <paramref name="l4"/> is the whole L4 segment.</summary>
    public static void FixL4(Span<byte> l4, byte proto, uint pseudo, bool isV6)
    {
        int at = proto switch { IpProtos.Tcp => 16, IpProtos.Udp => 6, IpProtos.Icmp or IpProtos.Icmpv6 => 2, _ => -1 };
        if (at < 0 || l4.Length < at + 2) return;
        l4[at] = 0; l4[at + 1] = 0;
        uint s = proto == IpProtos.Icmp ? Sum(l4) : Sum(l4, pseudo);
        ushort c = Fold(s);
        if (proto == IpProtos.Udp && c == 0) c = 0xffff; // RFC 768: zero means "no checksum"
        BinaryPrimitives.WriteUInt16BigEndian(l4[at..], c);
    }
}
