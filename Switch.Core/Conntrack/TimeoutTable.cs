namespace Switch.Core.Conntrack;

/// <summary>A <see cref="CtTimeouts"/> policy flattened to microseconds for the packet path; connections keep a
/// reference to the table of the zone they were committed in.</summary>
public sealed class TimeoutTable
{
    /// <summary>Indexed by <see cref="TcpState"/>.</summary>
    public readonly long[] Tcp = new long[10];
    public readonly long TcpRetrans, TcpUnack, UdpUnreplied, UdpStream, Icmp, Icmpv6, GreUnreplied, GreStream, Generic;

    public TimeoutTable(CtTimeouts t)
    {
        Tcp[(int)TcpState.None] = Us(t.TcpClose);
        Tcp[(int)TcpState.SynSent] = Us(t.TcpSynSent);
        Tcp[(int)TcpState.SynRecv] = Us(t.TcpSynRecv);
        Tcp[(int)TcpState.Established] = Us(t.TcpEstablished);
        Tcp[(int)TcpState.FinWait] = Us(t.TcpFinWait);
        Tcp[(int)TcpState.CloseWait] = Us(t.TcpCloseWait);
        Tcp[(int)TcpState.LastAck] = Us(t.TcpLastAck);
        Tcp[(int)TcpState.TimeWait] = Us(t.TcpTimeWait);
        Tcp[(int)TcpState.Close] = Us(t.TcpClose);
        Tcp[(int)TcpState.SynSent2] = Us(t.TcpSynSent2);
        TcpRetrans = Us(t.TcpRetrans);
        TcpUnack = Us(t.TcpUnack);
        UdpUnreplied = Us(t.UdpUnreplied);
        UdpStream = Us(t.UdpStream);
        Icmp = Us(t.Icmp);
        Icmpv6 = Us(t.Icmpv6);
        GreUnreplied = Us(t.GreUnreplied);
        GreStream = Us(t.GreStream);
        Generic = Us(t.Generic);
    }

    private static long Us(TimeSpan t) => t.Ticks / 10;
}
