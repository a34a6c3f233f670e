namespace Switch.Core.Conntrack;

/// <summary>IP_CT_TCP_FLAG_* per side, plus the two last_flags bits, with the kernel's values.</summary>
[Flags]
public enum TcpPeerFlags : byte
{
    None = 0,
    WindowScale = 0x01,
    SackPerm = 0x02,
    CloseInit = 0x04,
    BeLiberal = 0x08,
    DataUnacknowledged = 0x10,
    MaxAckSet = 0x20,
    /// <summary>IP_CT_EXP_CHALLENGE_ACK (last_flags only).</summary>
    ChallengeAck = 0x40,
    /// <summary>IP_CT_TCP_SIMULTANEOUS_OPEN (last_flags only).</summary>
    SimultaneousOpen = 0x80,
}
