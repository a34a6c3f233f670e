namespace Switch.Core.Conntrack;

/// <summary>One side's window-tracking data (struct ip_ct_tcp_state).</summary>
public struct TcpPeer
{
    /// <summary>td_end: highest seq + len sent.</summary>
    public uint End;
    /// <summary>td_maxend: highest ack + window seen from the peer.</summary>
    public uint MaxEnd;
    /// <summary>td_maxwin: largest window advertised.</summary>
    public uint MaxWin;
    /// <summary>td_maxack: highest ack sent.</summary>
    public uint MaxAck;
    /// <summary>td_scale: window scale shift from the SYN options.</summary>
    public byte Scale;
    public TcpPeerFlags Flags;

    public void Reset() => this = default;
}
