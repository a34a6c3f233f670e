namespace Switch.Node;

/// <summary>One configured port of a node: where what it sends is captured, and its MTU.</summary>
public sealed record NodeConfigPort
{
    /// <summary>A pcap file receiving every frame sent out of the port (written on shutdown at the latest).</summary>
    public string? PcapOut { get; init; }
    /// <summary>Largest L3 packet the port carries; 0 = no limit.</summary>
    public int Mtu { get; init; }
}
