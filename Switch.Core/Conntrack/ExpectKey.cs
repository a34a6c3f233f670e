namespace Switch.Core.Conntrack;

/// <summary>
/// What an expectation matches: zone, protocol, source and destination address and destination port, with
/// the source port wildcarded (the kernel's expectation mask), since an FTP data connection's source port is
/// not known in advance.
/// </summary>
public readonly record struct ExpectKey(ushort Zone, byte Proto, bool IsV6, UInt128 Src, UInt128 Dst, ushort DstPort);
