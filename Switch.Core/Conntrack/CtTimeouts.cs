namespace Switch.Core.Conntrack;

/// <summary>
/// A timeout policy. Defaults are the Linux nf_conntrack sysctl defaults (Documentation/networking/
/// nf_conntrack-sysctl.rst); a per-zone policy replaces them for connections committed in that zone, as an OVS
/// datapath timeout policy attached to ct(zone=N) does.
/// </summary>
public sealed record CtTimeouts
{
    public TimeSpan TcpSynSent { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan TcpSynRecv { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan TcpEstablished { get; init; } = TimeSpan.FromSeconds(432000);
    public TimeSpan TcpFinWait { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan TcpCloseWait { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan TcpLastAck { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan TcpTimeWait { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan TcpClose { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan TcpSynSent2 { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>nf_conntrack_tcp_timeout_max_retrans.</summary>
    public TimeSpan TcpRetrans { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>nf_conntrack_tcp_timeout_unacknowledged.</summary>
    public TimeSpan TcpUnack { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>nf_conntrack_udp_timeout.</summary>
    public TimeSpan UdpUnreplied { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>nf_conntrack_udp_timeout_stream.</summary>
    public TimeSpan UdpStream { get; init; } = TimeSpan.FromSeconds(120);
    public TimeSpan Icmp { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan Icmpv6 { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan GreUnreplied { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan GreStream { get; init; } = TimeSpan.FromSeconds(180);
    /// <summary>nf_conntrack_generic_timeout.</summary>
    public TimeSpan Generic { get; init; } = TimeSpan.FromSeconds(600);

    public static readonly CtTimeouts LinuxDefaults = new();
}
