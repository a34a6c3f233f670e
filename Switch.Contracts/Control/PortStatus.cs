namespace Switch.Contracts.Control;

/// <summary>One port of a node and its counters, as `dswitch ctl ports` lists them. KernelDropped counts frames lost
/// before the switch saw them (libpcap's ps_drop for a live port, non-VXLAN datagrams for a tunnel).</summary>
public sealed record PortStatus(uint Number, string Name, string Kind, string Detail, int Mtu,
    long RxPackets, long RxBytes, long RxDropped, long TxPackets, long TxBytes, long TxDropped, long KernelDropped);
