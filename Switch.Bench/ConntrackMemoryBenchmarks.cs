using BenchmarkDotNet.Attributes;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;

namespace Switch.Bench;

/// <summary>
/// Bytes per tracked connection at 1 M established TCP connections (managed heap after a full GC, before and
/// after, printed during setup as "conntrack: N bytes/connection"), and the established lookup at that size.
/// </summary>
[MemoryDiagnoser]
public class ConntrackMemoryBenchmarks
{
    public const int Count = 1_000_000;
    private readonly ManualClock _clock = new(1_000_000_000);
    private ConntrackEngine _engine = null!;
    private Packet _pkt = null!;
    private FlowKey _key;

    [GlobalSetup]
    public void Setup()
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        _engine = new ConntrackEngine(_clock, new ConntrackSettings { MaxConnections = Count + 1 });
        var commit = new CtRequest(0, Commit: true);
        const uint server = 0x0A10_0001;
        for (int i = 0; i < Count; i++)
        {
            uint src = 0x0A00_0000u | (uint)(i >> 14);
            ushort port = (ushort)(1024 + (i & 0x3fff));
            ConntrackBenchmarks.Run(_engine, FrameBuilder.Tcp(port, 80, FrameBuilder.Syn, 1000, 0), src, server, commit);
            ConntrackBenchmarks.Run(_engine, FrameBuilder.Tcp(80, port, FrameBuilder.Syn | FrameBuilder.Ack, 5000, 1001), server, src, default);
            ConntrackBenchmarks.Run(_engine, FrameBuilder.Tcp(port, 80, FrameBuilder.Ack, 1001, 5001), src, server, default);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"conntrack: {_engine.Count} connections, {(after - before) / (double)_engine.Count:F0} bytes/connection");
        var frame = FrameBuilder.Eth(2, 1, EtherTypes.Ipv4, FrameBuilder.Ipv4(0x0A00_0001, server, IpProtos.Tcp,
            FrameBuilder.Tcp(1024, 80, FrameBuilder.Ack, 1001, 5001)));
        _pkt = Packet.From(frame, 1);
        PacketParser.Parse(_pkt.Span, 1, ref _key);
    }

    /// <summary>One established segment looked up among 1 M connections.</summary>
    [Benchmark]
    public byte EstablishedLookupAt1M()
    {
        var p = _pkt;
        _engine.Execute(ref p, ref _key, new CtRequest(0));
        return _key.CtState;
    }
}
