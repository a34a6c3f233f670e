namespace Switch.Core.Ports;

/// <summary>One captured frame as read from a pcap or pcapng file. <paramref name="Data"/> is owned by the
/// record (the reader never reuses it), so records stay valid after the reader moves on.</summary>
/// <param name="TimestampUs">Capture time, microseconds since the Unix epoch.</param>
/// <param name="LinkType">The LINKTYPE_* of the interface it was captured on (1 = Ethernet).</param>
/// <param name="Data">The captured bytes (possibly fewer than were on the wire, if the capture was snapped).</param>
public sealed record PcapRecord(long TimestampUs, ushort LinkType, byte[] Data)
{
    public bool IsEthernet => LinkType == LinkTypes.Ethernet;
}
