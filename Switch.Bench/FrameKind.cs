namespace Switch.Bench;

/// <summary>The protocol mix the suites replay: what an edge switch sees most, plus the two shapes that take other parser paths.</summary>
public enum FrameKind
{
    TcpV4,
    UdpV4,
    TcpV6,
    IcmpV4,
    /// <summary>IPv4/TCP behind one 802.1Q tag (VLAN 100).</summary>
    VlanTcpV4,
    Arp,
}
