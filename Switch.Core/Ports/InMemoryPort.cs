using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// An output port that keeps copies of the frames sent to it, for tests. Copies, because the sender may
/// reuse the packet's buffer once <see cref="Send"/> returns (the <see cref="IPort"/> contract). Safe to
/// read from a test thread while a datapath actor sends. A node's configured in-memory port keeps only its newest
/// <c>keep</c> frames (older ones are let go), so a long-running node's memory does not grow with its traffic.
/// </summary>
public sealed class InMemoryPort : IPort
{
    /// <summary>Frames a node's in-memory port keeps (the newest).</summary>
    public const int NodeKeep = 1024;
    private readonly Queue<SentFrame> _sent = new();
    private readonly Lock _lock = new();
    private readonly int _keep;

    public InMemoryPort(uint number, string name = "", int mtu = 0, int keep = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        Number = number; Name = name.Length == 0 ? $"mem{number}" : name; Mtu = mtu; _keep = keep;
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
            if (_sent.Count == _keep) _sent.Dequeue();
            _sent.Enqueue(new SentFrame(frame.ToArray(), packet.TimestampUs));
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
