using Switch.Actors.Packets;

namespace Switch.Actors.Ports;

/// <summary>
/// An output port that keeps copies of the frames sent to it, for tests. Copies, because the sender may
/// reuse the packet's buffer once <see cref="Send"/> returns (the <see cref="IPort"/> contract). Safe to
/// read from a test thread while a datapath actor sends.
/// </summary>
public sealed class InMemoryPort : IPort
{
    private readonly List<SentFrame> _sent = [];
    private readonly Lock _lock = new();

    public InMemoryPort(uint number, string name = "", int mtu = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        Number = number; Name = name.Length == 0 ? $"mem{number}" : name; Mtu = mtu;
    }

    public uint Number { get; }
    public string Name { get; }
    public int Mtu { get; }
    public PortCounters Counters { get; } = new();

    /// <summary>A snapshot of the frames sent so far, oldest first.</summary>
    public IReadOnlyList<SentFrame> Sent
    {
        get { lock (_lock) return _sent.ToArray(); }
    }

    public void Send(Packet packet)
    {
        var frame = packet.Span;
        lock (_lock)
        {
            if (PortMtu.Exceeds(frame, Mtu)) { Counters.TxDropped++; return; }
            _sent.Add(new SentFrame(frame.ToArray(), packet.TimestampUs));
            Counters.TxPackets++;
            Counters.TxBytes += frame.Length;
        }
    }

    public void Clear()
    {
        lock (_lock) _sent.Clear();
    }

    public void Dispose() { }
}
