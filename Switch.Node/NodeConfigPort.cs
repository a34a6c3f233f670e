namespace Switch.Node;

/// <summary>
/// One configured port of a node; at most one of <see cref="Interface"/>, <see cref="Vxlan"/>, <see cref="Remote"/>
/// says what it is (none: an in-memory port, captured to <see cref="PcapOut"/> when given).
/// <code>"1":{"interface":"veth-a","mtu":1500}  "10":{"vxlan":{"local":"127.0.0.1:4789","vni":42,"remotes":["127.0.0.2:4789"]}}
/// "2":{"remote":"127.0.0.2:4789","tunnel":10}</code>
/// </summary>
public sealed record NodeConfigPort
{
    /// <summary>A pcap file receiving every frame sent out of the port (written on shutdown at the latest).</summary>
    public string? PcapOut { get; init; }
    /// <summary>Largest L3 packet the port carries; 0 = no limit.</summary>
    public int Mtu { get; init; }
    /// <summary>A network interface captured and injected through libpcap.</summary>
    public string? Interface { get; init; }
    /// <summary>A VXLAN tunnel port.</summary>
    public NodeConfigVxlan? Vxlan { get; init; }
    /// <summary>The port lives on the node whose VXLAN endpoint (IP:PORT) this is; frames to it go through <see cref="Tunnel"/>.</summary>
    public string? Remote { get; init; }
    /// <summary>The number of this node's VXLAN port that carries frames to a <see cref="Remote"/> port.</summary>
    public uint Tunnel { get; init; }
}
