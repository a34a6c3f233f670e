namespace Switch.Core.Ports;

/// <summary>One capture container's record decoder (classic pcap or pcapng), behind <see cref="PcapReader"/>.</summary>
internal interface IPcapDecoder
{
    /// <summary>The next record, or null at a clean end of file.</summary>
    PcapRecord? Read();
}
