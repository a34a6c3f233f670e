namespace Switch.Core.Conntrack;

/// <summary>TCP_CONNTRACK_* in the kernel's order (the state table and timeout arrays index by it).</summary>
public enum TcpState : byte
{
    None = 0, SynSent, SynRecv, Established, FinWait, CloseWait, LastAck, TimeWait, Close, SynSent2,
}
