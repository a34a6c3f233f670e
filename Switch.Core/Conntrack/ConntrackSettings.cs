namespace Switch.Core.Conntrack;

/// <summary>
/// Engine configuration. Every default is the Linux value the OVS kernel datapath runs with (sysctl names in
/// the comments); deviations are documented where the setting is.
/// </summary>
public sealed class ConntrackSettings
{
    /// <summary>nf_conntrack_tcp_loose (1): a mid-stream ACK may create ("pick up") a connection.</summary>
    public bool TcpLoose { get; init; } = true;
    /// <summary>nf_conntrack_tcp_be_liberal (0): window failures are accepted on every connection.</summary>
    public bool TcpBeLiberal { get; init; }
    /// <summary>nf_conntrack_tcp_ignore_invalid_rst (0).</summary>
    public bool TcpIgnoreInvalidRst { get; init; }
    /// <summary>nf_conntrack_tcp_max_retrans (3).</summary>
    public int TcpMaxRetrans { get; init; } = 3;
    /// <summary>The OVS kernel datapath marks every committed TCP entry that is ESTABLISHED and ASSURED as
    /// be-liberal (net/openvswitch/conntrack.c), so out-of-window segments there are never +inv. On by default.</summary>
    public bool OvsLiberalEstablished { get; init; } = true;
    /// <summary>nf_conntrack_checksum (1): TCP/UDP/ICMP checksums are verified; a bad one is +inv.</summary>
    public bool VerifyChecksums { get; init; } = true;

    public CtTimeouts Timeouts { get; init; } = CtTimeouts.LinuxDefaults;
    /// <summary>Per-zone timeout policies (the OVS ct timeout policy of a zone).</summary>
    public IReadOnlyDictionary<ushort, CtTimeouts>? ZoneTimeouts { get; init; }

    /// <summary>nf_conntrack_max: global entry limit (default = the largest default bucket count, 262144).</summary>
    public int MaxConnections { get; init; } = 262144;
    /// <summary>ct-set-limits default=L; 0 = unlimited (kernel semantics).</summary>
    public uint DefaultZoneLimit { get; init; }
    /// <summary>ct-set-limits zone=N,limit=L; 0 = unlimited (kernel semantics).</summary>
    public IReadOnlyDictionary<ushort, uint>? ZoneLimits { get; init; }

    /// <summary>nf_conntrack_expect_max (buckets/256 = 1024 at the default size).</summary>
    public int MaxExpectations { get; init; } = 1024;
    /// <summary>max_expected of the ftp helper policy (1).</summary>
    public int FtpMaxExpected { get; init; } = 1;
    /// <summary>max_expected of the tftp helper policy (1).</summary>
    public int TftpMaxExpected { get; init; } = 1;
    /// <summary>FTP/TFTP helper policy expectation timeout (300 s).</summary>
    public TimeSpan ExpectationTimeout { get; init; } = TimeSpan.FromSeconds(300);
    /// <summary>nf_conntrack_ftp loose=0: an advertised address must be the sender's.</summary>
    public bool FtpLoose { get; init; }
    /// <summary>Longest FTP command/reply line buffered across segments; longer lines are skipped.</summary>
    public int FtpMaxLine { get; init; } = 512;

    /// <summary>ipfrag_time (30 s).</summary>
    public TimeSpan FragTimeoutV4 { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>nf_conntrack_frag6_timeout (60 s).</summary>
    public TimeSpan FragTimeoutV6 { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Fragments one datagram may have; Linux has no such cap (only memory), this bounds work per queue.</summary>
    public int MaxFragmentsPerDatagram { get; init; } = 64;
    /// <summary>Datagrams being reassembled at once.</summary>
    public int MaxDatagramsInProgress { get; init; } = 1024;
    /// <summary>ipfrag_high_thresh (4 MiB): fragment bytes held; new fragments are refused above it.</summary>
    public long MaxFragmentBytes { get; init; } = 4 * 1024 * 1024;

    public static readonly ConntrackSettings Default = new();
}
