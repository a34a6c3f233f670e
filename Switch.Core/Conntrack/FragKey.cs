namespace Switch.Core.Conntrack;

/// <summary>A datagram being reassembled: zone (the defrag user is "conntrack-in + zone"), addresses, protocol
/// and IP identification (16 bits in IPv4, 32 in the IPv6 Fragment header).</summary>
public readonly record struct FragKey(ushort Zone, bool IsV6, UInt128 Src, UInt128 Dst, byte Proto, uint Id);
