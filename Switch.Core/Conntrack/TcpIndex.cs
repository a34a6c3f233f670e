namespace Switch.Core.Conntrack;

/// <summary>The packet class, decided in this order: RST, SYN/SYN-ACK, FIN, ACK, none (get_conntrack_index).</summary>
public enum TcpIndex : byte { Syn = 0, SynAck = 1, Fin = 2, Ack = 3, Rst = 4, None = 5 }
