using BenchmarkDotNet.Attributes;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;

namespace Switch.Bench;

/// <summary>
/// The conntrack engine alone: established TCP packets through ct (the hot path: one dictionary lookup on the
/// canonical key, the window check and a timer refresh), commits of new connections, and reassembly of
/// two-fragment datagrams. <see cref="ConntrackMemoryBenchmarks"/> measures bytes per connection at 1 M entries.
/// </summary>
[MemoryDiagnoser]
public class ConntrackBenchmarks
{
    public const int Batch = 4096;

    [Params(1_000, 100_000)]
    public int Connections;

    private readonly ManualClock _clock = new(1_000_000_000);
    private ConntrackEngine _engine = null!;
    private Packet[] _est = [];
    private FlowKey[] _estKeys = [];
    private Packet[] _syn = [];
    private FlowKey[] _synKeys = [];
    private Packet[] _frags = [];
    private FlowKey[] _fragKeys = [];
    private ConntrackEngine _commitEngine = null!;

    private static readonly byte[] Payload = new byte[64];

    private static (Packet, FlowKey) Prepared(byte[] frame)
    {
        var p = Packet.From(frame, 1);
        var k = default(FlowKey);
        PacketParser.Parse(p.Span, 1, ref k);
        return (p, k);
    }

    private static uint Src(int i) => 0x0A00_0000u | (uint)(i >> 14);
    private static ushort Port(int i) => (ushort)(1024 + (i & 0x3fff));

    [GlobalSetup]
    public void Setup()
    {
        _engine = new ConntrackEngine(_clock, new ConntrackSettings { MaxConnections = 2 * Connections + Batch });
        var commit = new CtRequest(0, Commit: true);
        const uint server = 0x0A10_0001;
        for (int i = 0; i < Connections; i++)
        {
            Run(_engine, FrameBuilder.Tcp(Port(i), 80, FrameBuilder.Syn, 1000, 0), Src(i), server, commit);
            Run(_engine, FrameBuilder.Tcp(80, Port(i), FrameBuilder.Syn | FrameBuilder.Ack, 5000, 1001), server, Src(i), default);
            Run(_engine, FrameBuilder.Tcp(Port(i), 80, FrameBuilder.Ack, 1001, 5001), Src(i), server, default);
        }
        _est = new Packet[Batch];
        _estKeys = new FlowKey[Batch];
        var rnd = new Random(7);
        for (int j = 0; j < Batch; j++)
        {
            int i = rnd.Next(Connections);
            (_est[j], _estKeys[j]) = Prepared(FrameBuilder.Eth(2, 1, EtherTypes.Ipv4, FrameBuilder.Ipv4(Src(i), server, IpProtos.Tcp,
                FrameBuilder.Tcp(Port(i), 80, FrameBuilder.Ack | FrameBuilder.Psh, 1001, 5001, 65535, Payload))));
        }
        _syn = new Packet[Batch];
        _synKeys = new FlowKey[Batch];
        for (int j = 0; j < Batch; j++)
            (_syn[j], _synKeys[j]) = Prepared(FrameBuilder.Eth(2, 1, EtherTypes.Ipv4, FrameBuilder.Ipv4(0x0B00_0000u | (uint)j, server,
                IpProtos.Tcp, FrameBuilder.Tcp(Port(j), 443, FrameBuilder.Syn, 1, 0))));
        // 1400-byte UDP datagrams in two fragments each.
        int dgrams = Batch / 2;
        _frags = new Packet[Batch];
        _fragKeys = new FlowKey[Batch];
        for (int d = 0; d < dgrams; d++)
        {
            var l4 = FrameBuilder.Udp(Port(d), 53, new byte[1400]);
            Checksum.FixL4(l4, IpProtos.Udp, Checksum.PseudoV4(Src(d), server, IpProtos.Udp, l4.Length), false);
            (_frags[2 * d], _fragKeys[2 * d]) = Prepared(FrameBuilder.Eth(2, 1, EtherTypes.Ipv4, FrameBuilder.Ipv4(Src(d), server,
                IpProtos.Udp, l4.AsSpan(0, 1000), id: (ushort)d, mf: true, fillL4Checksum: false)));
            (_frags[2 * d + 1], _fragKeys[2 * d + 1]) = Prepared(FrameBuilder.Eth(2, 1, EtherTypes.Ipv4, FrameBuilder.Ipv4(Src(d), server,
                IpProtos.Udp, l4.AsSpan(1000), id: (ushort)d, fragOffset: 1000, fillL4Checksum: false)));
        }
    }

    internal static void Run(ConntrackEngine e, byte[] tcp, uint src, uint dst, CtRequest req)
    {
        var frame = FrameBuilder.Eth(2, 1, EtherTypes.Ipv4, FrameBuilder.Ipv4(src, dst, IpProtos.Tcp, tcp));
        var (p, k) = Prepared(frame);
        e.Execute(ref p, ref k, req);
    }

    [IterationSetup(Target = nameof(NewConnectionsCommit))]
    public void FreshCommitEngine() => _commitEngine = new ConntrackEngine(_clock);

    /// <summary>Established TCP data segments (random connections) through ct without commit.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int EstablishedTcp()
    {
        int est = 0;
        var req = new CtRequest(0);
        for (int j = 0; j < Batch; j++)
        {
            var p = _est[j];
            _engine.Execute(ref p, ref _estKeys[j], req);
            est += _estKeys[j].CtState & CtStateBits.Established;
        }
        return est;
    }

    /// <summary>SYNs of new connections committed into an empty engine.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int NewConnectionsCommit()
    {
        var req = new CtRequest(0, Commit: true);
        for (int j = 0; j < Batch; j++)
        {
            var p = _syn[j];
            var k = _synKeys[j];
            _commitEngine.Execute(ref p, ref k, req);
        }
        return _commitEngine.Count;
    }

    /// <summary>Two-fragment datagrams reassembled and tracked (uncommitted); per datagram.</summary>
    [Benchmark(OperationsPerInvoke = Batch / 2)]
    public int ReassembledDatagrams()
    {
        int done = 0;
        var req = new CtRequest(0);
        for (int j = 0; j < Batch; j++)
        {
            var p = _frags[j];
            var k = _fragKeys[j];
            if (_engine.Execute(ref p, ref k, req).Verdict == CtVerdict.Continue) done++;
        }
        return done;
    }
}
