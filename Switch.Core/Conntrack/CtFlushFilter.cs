using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>The optional original-direction tuple of dpctl/flush-conntrack; null fields match anything.
/// Addresses use the same encoding as the key (IPv4 in the low 32 bits).</summary>
public sealed record CtFlushFilter(byte? Proto = null, UInt128? Src = null, UInt128? Dst = null,
    ushort? SrcPort = null, ushort? DstPort = null)
{
    public static CtFlushFilter V4(byte? proto = null, string? src = null, string? dst = null, ushort? sport = null,
        ushort? dport = null) =>
        new(proto, src == null ? null : FrameBuilder.Ip(src), dst == null ? null : FrameBuilder.Ip(dst), sport, dport);

    public bool Matches(Connection c)
    {
        var o = c.Original;
        if (Proto != null && o.Proto != Proto) return false;
        if (Src != null && o.Src != Src) return false;
        if (Dst != null && o.Dst != Dst) return false;
        // For ICMP the source "port" is the query id, as ct-orig-tuple's icmp_id.
        if (o.IsIcmp) return SrcPort == null || SrcPort == o.IcmpId;
        if (SrcPort != null && o.SrcPort != SrcPort) return false;
        return DstPort == null || o.DstPort == DstPort;
    }
}
