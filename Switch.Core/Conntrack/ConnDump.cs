using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>ovs-dpctl dump-conntrack formatting (ovs lib/ct-dpif.c, ct_dpif_format_entry without -m/-s).</summary>
public static class ConnDump
{
    public static string ProtoName(byte proto) => proto switch
    {
        IpProtos.Icmp => "icmp",
        IpProtos.Icmpv6 => "icmpv6",
        IpProtos.Tcp => "tcp",
        IpProtos.Udp => "udp",
        IpProtos.Sctp => "sctp",
        _ => proto.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Kernel TCP states under their OVS names, SYN_RECV coalesced to ESTABLISHED as the non-verbose
    /// dump does.</summary>
    public static string TcpStateName(TcpState s) => s switch
    {
        TcpState.None => "CLOSED",
        TcpState.SynSent or TcpState.SynSent2 => "SYN_SENT",
        TcpState.SynRecv or TcpState.Established => "ESTABLISHED",
        TcpState.FinWait => "FIN_WAIT_1",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        TcpState.Close => "CLOSING",
        _ => "CLOSED",
    };

    public static string Format(Connection c)
    {
        var sb = new System.Text.StringBuilder(160);
        sb.Append(ProtoName(c.Key.Proto))
            .Append(",orig=(").Append(c.Original.Format()).Append(')')
            .Append(",reply=(").Append(c.Reply.Format()).Append(')');
        if (c.Zone != 0) sb.Append(",zone=").Append(c.Zone);
        if (c.Mark != 0) sb.Append(",mark=").Append(c.Mark);
        if (c.Label != 0) sb.Append(",labels=0x").Append(c.Label.ToString("x"));
        if (c.Key.Proto == IpProtos.Tcp) sb.Append(",protoinfo=(state=").Append(TcpStateName(c.Tcp.State)).Append(')');
        if (c.Helper != CtAlg.None) sb.Append(",helper=").Append(c.Helper == CtAlg.Ftp ? "ftp" : "tftp");
        return sb.ToString();
    }
}
