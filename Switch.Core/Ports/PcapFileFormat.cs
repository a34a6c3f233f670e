namespace Switch.Core.Ports;

/// <summary>Which container a capture file uses; detected from its first four bytes.</summary>
public enum PcapFileFormat : byte
{
    /// <summary>Classic libpcap format, microsecond timestamps.</summary>
    PcapMicroseconds,
    /// <summary>Classic libpcap format with the nanosecond magic (0xa1b23c4d).</summary>
    PcapNanoseconds,
    /// <summary>pcapng (IETF draft-ietf-opsawg-pcapng).</summary>
    PcapNg,
}
