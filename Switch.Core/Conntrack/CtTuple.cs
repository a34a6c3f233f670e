using System.Buffers.Binary;
using System.Net;
using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// One direction of a connection as conntrack names it (nf_conntrack_tuple): addresses, and either ports or,
/// for ICMP/ICMPv6, the query id with type and code. IPv4 addresses sit in the low 32 bits.
/// </summary>
public readonly record struct CtTuple(bool IsV6, byte Proto, UInt128 Src, UInt128 Dst, ushort SrcPort, ushort DstPort,
    ushort IcmpId = 0, byte IcmpType = 0, byte IcmpCode = 0)
{
    public bool IsIcmp => Proto is IpProtos.Icmp or IpProtos.Icmpv6;

    public CtTuple Invert() => IsIcmp
        ? this with { Src = Dst, Dst = Src, IcmpType = IcmpTypes.Invert(IsV6, IcmpType) }
        : this with { Src = Dst, Dst = Src, SrcPort = DstPort, DstPort = SrcPort };

    public static string FormatAddress(bool isV6, UInt128 a)
    {
        if (!isV6) { uint v = (uint)a; return $"{v >> 24}.{(v >> 16) & 0xff}.{(v >> 8) & 0xff}.{v & 0xff}"; }
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, a);
        return new IPAddress(b).ToString();
    }

    /// <summary>The inside of orig=(...) in ovs-dpctl dump-conntrack (ct_dpif_format_tuple); ICMP shows
    /// id, type and code as the reference specifies.</summary>
    public string Format() => IsIcmp
        ? $"src={FormatAddress(IsV6, Src)},dst={FormatAddress(IsV6, Dst)},id={IcmpId},type={IcmpType},code={IcmpCode}"
        : $"src={FormatAddress(IsV6, Src)},dst={FormatAddress(IsV6, Dst)},sport={SrcPort},dport={DstPort}";
}
