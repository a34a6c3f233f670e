using BenchmarkDotNet.Attributes;
using Switch.Core.Packets;

namespace Switch.Bench;

/// <summary>
/// ns/packet of <see cref="PacketParser.Parse"/> over a shuffled mix of TCPv4, UDPv4, TCPv6, ICMP, VLAN-tagged
/// TCPv4 and ARP frames. The baseline copies the same frames into a buffer, the least any datapath does with a
/// frame, so the ratio reads as "parsing costs N copies". Allocated must stay 0 B (the parser's contract).
/// </summary>
[MemoryDiagnoser]
public class FlowKeyExtractionBenchmarks
{
    public const int FrameCount = 1200;

    private byte[][] _frames = [];
    private readonly byte[] _buffer = new byte[2048];

    [GlobalSetup]
    public void Setup()
    {
        _frames = BenchFrames.Mix(FrameCount);
        // A frame that does not parse would measure an early exit, not extraction.
        var key = default(FlowKey);
        foreach (var f in _frames)
            if (PacketParser.Parse(f, 1, ref key) != ParseResult.Ok)
                throw new InvalidOperationException("benchmark frame does not parse");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FrameCount)]
    public int CopyFrame()
    {
        int sum = 0;
        var frames = _frames;
        var buf = _buffer.AsSpan();
        for (int i = 0; i < frames.Length; i++)
        {
            frames[i].AsSpan().CopyTo(buf);
            sum += buf[i & 63];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public int Parse()
    {
        int sum = 0;
        var frames = _frames;
        var key = default(FlowKey);
        for (int i = 0; i < frames.Length; i++)
        {
            sum += (int)PacketParser.Parse(frames[i], 1, ref key);
            sum += key.TpDst;
        }
        return sum;
    }
}
