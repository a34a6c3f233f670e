using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>Checksum verification for conntrack's nf_conntrack_checksum=1 path: a one's-complement sum taken
/// 32 bits at a time (same result as 16-bit words, RFC 1071 section 2) so verifying costs little per packet.</summary>
internal static class InternetChecksum
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Sum(ReadOnlySpan<byte> d, ulong acc)
    {
        int i = 0;
        for (; i + 8 <= d.Length; i += 8)
        {
            acc += BinaryPrimitives.ReadUInt32BigEndian(d[i..]);
            acc += BinaryPrimitives.ReadUInt32BigEndian(d[(i + 4)..]);
        }
        if (i + 4 <= d.Length) { acc += BinaryPrimitives.ReadUInt32BigEndian(d[i..]); i += 4; }
        if (i + 2 <= d.Length) { acc += BinaryPrimitives.ReadUInt16BigEndian(d[i..]); i += 2; }
        if (i < d.Length) acc += (uint)d[i] << 8;
        acc = (acc & 0xffff_ffff) + (acc >> 32);
        acc = (acc & 0xffff_ffff) + (acc >> 32);
        uint s = (uint)acc;
        s = (s & 0xffff) + (s >> 16);
        s = (s & 0xffff) + (s >> 16);
        return s;
    }

    /// <summary>True when the segment (checksum field included) sums to 0xffff with its pseudo-header.</summary>
    public static bool Verify(ReadOnlySpan<byte> l4, bool isV6, UInt128 src, UInt128 dst, byte proto, bool pseudo)
    {
        ulong acc = 0;
        if (pseudo)
            acc = isV6 ? Checksum.PseudoV6(src, dst, proto, l4.Length) : Checksum.PseudoV4((uint)src, (uint)dst, proto, l4.Length);
        return Sum(l4, acc) == 0xffff;
    }
}
