using Switch.Core.Packets;
using Switch.Core.Ports;

namespace Switch.Bench;

/// <summary>
/// An output port that only counts, so the replay suite measures the datapath and not the port:
/// <see cref="InMemoryPort"/> copies every frame into a growing list.
/// </summary>
public sealed class NullPort : IPort
{
    public NullPort(uint number) { Number = number; Name = $"null{number}"; }

    public uint Number { get; }
    public string Name { get; }
    public int Mtu => 0;
    public PortCounters Counters { get; } = new();

    public void Send(Packet packet)
    {
        Counters.TxPackets++;
        Counters.TxBytes += packet.Length;
    }

    public void Dispose() { }
}
