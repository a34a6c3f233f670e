namespace Switch.Core.Datapath;

/// <summary>How a field's value is written in flow text.</summary>
public enum FieldFormat : byte { Decimal, Hex, Mac, Ipv4, Ipv6, CtState, TcpFlags, Frag, Port }

/// <summary>Flow-text prerequisites (OpenFlow: a field is only meaningful when the protocol fields allow it).</summary>
public enum Prereq : byte { None, Ip, Ipv4, Ipv6, IpAny, Arp, IpOrArp, Tcp, Udp, Sctp, TcpUdpSctp, Icmp, Icmpv6, Vlan, CtIpv4, CtIpv6, CtAny }
