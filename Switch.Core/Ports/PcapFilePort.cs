using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// An output port that captures everything sent to it into a classic pcap file (the switch's output when
/// replaying captures). The file is valid from construction on, even if nothing is ever sent.
/// </summary>
public sealed class PcapFilePort : IPort
{
    private readonly PcapWriter _writer;

    public PcapFilePort(uint number, string name, string path, int mtu = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        Number = number; Name = name; Path = path; Mtu = mtu;
        _writer = new PcapWriter(path);
    }

    public uint Number { get; }
    public string Name { get; }
    public string Path { get; }
    public int Mtu { get; }
    public PortCounters Counters { get; } = new();

    public void Send(Packet packet)
    {
        var frame = packet.Span;
        if (PortMtu.Exceeds(frame, Mtu)) { Counters.TxDropped++; return; }
        _writer.Write(packet.TimestampUs, frame);
        Counters.TxPackets++;
        Counters.TxBytes += frame.Length;
    }

    public void Dispose() => _writer.Dispose();
}
