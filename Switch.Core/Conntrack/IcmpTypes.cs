namespace Switch.Core.Conntrack;

/// <summary>ICMP and ICMPv6 type classes as nf_conntrack_proto_icmp.c / _icmpv6.c see them.</summary>
internal static class IcmpTypes
{
    /// <summary>Request types that may create an entry (icmp valid_new / icmpv6 valid_new).</summary>
    public static bool IsRequest(bool v6, byte type) =>
        v6 ? type is 128 or 139 : type is 8 or 13 or 15 or 17;

    /// <summary>Replies that only match the reply direction of an existing entry.</summary>
    public static bool IsReply(bool v6, byte type) =>
        v6 ? type is 129 or 140 : type is 0 or 14 or 16 or 18;

    /// <summary>Errors that quote a packet and may be RELATED to its connection (icmp_error / icmpv6_error).</summary>
    public static bool IsError(bool v6, byte type) =>
        v6 ? type is 1 or 2 or 3 or 4 : type is 3 or 4 or 5 or 11 or 12;

    /// <summary>The kernel's invmap: request &lt;-&gt; reply. Other types have no inverse.</summary>
    public static byte Invert(bool v6, byte type)
    {
        int r = v6
            ? type switch { 128 => 129, 129 => 128, 139 => 140, 140 => 139, _ => type }
            : type switch { 8 => 0, 0 => 8, 13 => 14, 14 => 13, 15 => 16, 16 => 15, 17 => 18, 18 => 17, _ => type };
        return (byte)r;
    }
}
