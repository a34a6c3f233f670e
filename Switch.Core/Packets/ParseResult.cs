namespace Switch.Core.Packets;

/// <summary>Why a frame was dropped at parse time; <see cref="Ok"/> when it was not. Named so counters read well.</summary>
public enum ParseResult : byte
{
    Ok = 0,
    TruncatedEthernet,
    TruncatedVlan,
    TruncatedArp,
    TruncatedIpv4,
    BadIpv4Header,
    TruncatedIpv6,
    BadIpv6ExtensionHeader,
    TruncatedTcp,
    BadTcpHeader,
    TruncatedUdp,
    TruncatedIcmp,
}
