namespace Switch.Core.Conntrack;

/// <summary>What the TCP tracker decided for one segment.</summary>
internal enum TcpResult : byte
{
    /// <summary>Accepted; refresh the timer to the returned timeout.</summary>
    Accept,
    /// <summary>Accepted without state or timer change (sIG, window IGNORE, retransmitted SYN).</summary>
    Ignore,
    /// <summary>Accepted, then the entry is deleted (an RST before any reply, "--RR").</summary>
    AcceptKill,
    /// <summary>+inv; the state does not move.</summary>
    Invalid,
    /// <summary>A SYN reopening a closed entry: delete it and look the packet up again as new.</summary>
    Reopen,
}
