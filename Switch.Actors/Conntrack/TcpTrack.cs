namespace Switch.Actors.Conntrack;

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

/// <summary>The packet class, decided in this order: RST, SYN/SYN-ACK, FIN, ACK, none (get_conntrack_index).</summary>
public enum TcpIndex : byte { Syn = 0, SynAck = 1, Fin = 2, Ack = 3, Rst = 4, None = 5 }
