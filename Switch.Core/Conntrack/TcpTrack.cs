namespace Switch.Core.Conntrack;

/// <summary>A connection's TCP tracker state (struct ip_ct_tcp): one state, both sides' windows, and the
/// last-packet memory used for resync, retransmission counting and RST validation.</summary>
public struct TcpTrack
{
    public TcpState State;
    /// <summary>seen[IP_CT_DIR_ORIGINAL].</summary>
    public TcpPeer Orig;
    /// <summary>seen[IP_CT_DIR_REPLY].</summary>
    public TcpPeer Reply;
    public byte LastDir;
    public TcpIndex LastIndex;
    public byte LastWscale;
    public TcpPeerFlags LastFlags;
    public byte Retrans;
    public ushort LastWin;
    public uint LastSeq, LastAck, LastEnd;
}
