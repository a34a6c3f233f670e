using System.Net;
using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// A port that lives on another DistSwitch node: output to it is encapsulated by the local
/// <see cref="VxlanPort"/> to that node with the delivery VNI of the port's number, and the node there sends
/// it out of its own port without running the pipeline again (this node's pipeline already decided).
/// </summary>
public sealed class RemotePort(uint number, string name, VxlanPort tunnel, IPEndPoint node, int mtu = 0) : IPort
{
    public uint Number { get; } = number;
    public string Name { get; } = name;
    public int Mtu { get; } = mtu;
    public IPEndPoint Node { get; } = node;
    public VxlanPort Tunnel { get; } = tunnel;
    public PortCounters Counters { get; } = new();

    public void Send(Packet packet)
    {
        if (PortMtu.Exceeds(packet.Span, Mtu)) { Interlocked.Increment(ref Counters.TxDropped); return; }
        Tunnel.SendTo(packet.Span, Node, VxlanPort.DeliveryVniBase + Number);
        Interlocked.Increment(ref Counters.TxPackets);
        Interlocked.Add(ref Counters.TxBytes, packet.Length);
    }

    public void Dispose() { }
}
