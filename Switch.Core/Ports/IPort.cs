using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// Where packets leave a node (and, for ports that capture, enter it). Implementations: pcap file writer,
/// in-memory (tests); later live interfaces (SharpPcap) and tunnels to other nodes.
/// </summary>
public interface IPort : IDisposable
{
    uint Number { get; }
    string Name { get; }
    /// <summary>Largest L3 packet the port carries (bytes); 0 means no limit.</summary>
    int Mtu { get; }
    PortCounters Counters { get; }
    /// <summary>Sends one frame out of the port. The port must not keep a reference to <paramref name="packet"/>'s buffer after returning.</summary>
    void Send(Packet packet);
}

public sealed class PortCounters
{
    public long RxPackets, RxBytes, RxDropped, TxPackets, TxBytes, TxDropped;
}
