using System.Runtime.CompilerServices;

namespace Switch.Core.Conntrack;

/// <summary>
/// One connection's identity: zone plus the canonical 5-tuple, so both directions of a connection hash to
/// the same key (one dictionary entry per connection instead of Linux's two tuple hashes). Endpoint A is the
/// smaller (address, port) for port protocols and for generic protocols the smaller address; for ICMP/ICMPv6
/// queries A is the requester and PortB holds the request type and code, so a request from B with the same id
/// is a different connection, as the kernel's (type, code, id) tuple makes it. IPv4 addresses sit in the low
/// 32 bits of the 128-bit address fields.
/// </summary>
public readonly struct ConnKey : IEquatable<ConnKey>
{
    public readonly UInt128 AddrA;
    public readonly UInt128 AddrB;
    public readonly ushort PortA;
    public readonly ushort PortB;
    public readonly ushort Zone;
    public readonly byte Proto;
    public readonly bool IsV6;

    public ConnKey(ushort zone, byte proto, bool isV6, UInt128 addrA, UInt128 addrB, ushort portA, ushort portB)
    {
        Zone = zone; Proto = proto; IsV6 = isV6; AddrA = addrA; AddrB = addrB; PortA = portA; PortB = portB;
    }

    /// <summary>Canonical key for a port-carrying or generic protocol; <paramref name="fromA"/> tells whether
    /// the packet travels from endpoint A.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ConnKey Canonical(ushort zone, byte proto, bool isV6, UInt128 src, UInt128 dst, ushort sport, ushort dport,
        out bool fromA)
    {
        fromA = src < dst || (src == dst && sport <= dport);
        return fromA
            ? new ConnKey(zone, proto, isV6, src, dst, sport, dport)
            : new ConnKey(zone, proto, isV6, dst, src, dport, sport);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(ConnKey o) =>
        AddrA == o.AddrA && AddrB == o.AddrB && PortA == o.PortA && PortB == o.PortB
        && Zone == o.Zone && Proto == o.Proto && IsV6 == o.IsV6;

    public override bool Equals(object? obj) => obj is ConnKey k && Equals(k);

    public override int GetHashCode() =>
        HashCode.Combine((ulong)AddrA ^ (ulong)(AddrA >> 64), (ulong)AddrB ^ (ulong)(AddrB >> 64),
            ((uint)PortA << 16) | PortB, ((uint)Zone << 16) | ((uint)Proto << 8) | (IsV6 ? 1u : 0u));

    public static bool operator ==(ConnKey a, ConnKey b) => a.Equals(b);
    public static bool operator !=(ConnKey a, ConnKey b) => !a.Equals(b);

    public override string ToString() => $"zone={Zone},proto={Proto},{AddrA}:{PortA}<->{AddrB}:{PortB}";
}
