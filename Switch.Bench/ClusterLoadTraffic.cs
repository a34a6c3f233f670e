using System.Diagnostics;
using Akka.Actor;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using DatapathCore = Switch.Core.Datapath.Datapath;

namespace Switch.Bench;

/// <summary>
/// Traffic for <see cref="ClusterLoad"/>: distinct UDP tuples per phase (so phases never share a connection),
/// the in-process baselines (bare engine, plain Datapath), and the InjectFrames driver for cluster nodes.
/// </summary>
public static partial class ClusterLoad
{
    public const string FlowLine = "table=0,ip actions=ct(commit,zone=1),output:2";
    public const ushort Zone = 1;
    private const ushort ServerPort = 53;
    private const uint Server = 0x0A80_0001; // 10.128.0.1
    private static readonly byte[] Payload = new byte[32];
    internal static readonly CtRequest Commit = new(Zone, Commit: true);

    /// <summary>Client of tuple <paramref name="i"/> in <paramref name="phase"/>: 10.phase.x.y, port 1024-2047.</summary>
    public static uint Client(int phase, int i) => 0x0A00_0000u | (uint)phase << 16 | (uint)(i >> 10) & 0xffff;
    public static ushort ClientPort(int i) => (ushort)(1024 + (i & 1023));

    public static byte[] Forward(int phase, int i) => FrameBuilder.Eth(FrameBuilder.MacB, FrameBuilder.MacA, EtherTypes.Ipv4,
        FrameBuilder.Ipv4(Client(phase, i), Server, IpProtos.Udp, FrameBuilder.Udp(ClientPort(i), ServerPort, Payload)));

    public static byte[] Reply(int phase, int i) => FrameBuilder.Eth(FrameBuilder.MacA, FrameBuilder.MacB, EtherTypes.Ipv4,
        FrameBuilder.Ipv4(Server, Client(phase, i), IpProtos.Udp, FrameBuilder.Udp(ServerPort, ClientPort(i), Payload)));

    /// <summary>The conntrack entity that owns tuple i of the phase (as <see cref="Switch.Actors.Cluster.CtRouting"/> names it).</summary>
    public static string EntityOf(int phase, int i) =>
        Switch.Actors.Cluster.CtRouting.ConnectionId(Zone, IpProtos.Udp, false, Client(phase, i), ClientPort(i), Server, ServerPort);

    /// <summary>New: the first packet of n distinct tuples. Established: the reply of each, then a repeat of each.</summary>
    public static byte[][] NewFrames(int phase, int n) => Enumerable.Range(0, n).Select(i => Forward(phase, i)).ToArray();
    public static byte[][] EstablishedFrames(int phase, int n) =>
        Enumerable.Range(0, n).Select(i => Reply(phase, i)).Concat(Enumerable.Range(0, n).Select(i => Forward(phase, i))).ToArray();

    internal static (Packet[] P, FlowKey[] K) Prepare(byte[][] frames)
    {
        var p = new Packet[frames.Length];
        var k = new FlowKey[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            p[i] = Packet.From(frames[i], 1);
            if (PacketParser.Parse(p[i].Span, 1, ref k[i]) != ParseResult.Ok) throw new InvalidOperationException("bench frame did not parse");
        }
        return (p, k);
    }

    public sealed record EngineResult(double NewPerSec, double EstPerSec, int NewOk, int EstOk, int N);

    /// <summary>ct decisions/s of the bare engine, single thread, keys parsed beforehand (decisions only).</summary>
    public static EngineResult EngineThroughput(int phase, int n)
    {
        var engine = new ConntrackEngine(SystemClock.Instance, new ConntrackSettings { MaxConnections = 2 * n + 16 });
        var (np, nk) = Prepare(NewFrames(phase, n));
        var (ep, ek) = Prepare(EstablishedFrames(phase, n));
        int newOk = 0, estOk = 0;
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < np.Length; i++) engine.Execute(ref np[i], ref nk[i], Commit);
        double newS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < ep.Length; i++) engine.Execute(ref ep[i], ref ek[i], Commit);
        double estS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        foreach (ref var k in nk.AsSpan()) if ((k.CtState & CtStateBits.New) != 0) newOk++;
        foreach (ref var k in ek.AsSpan()) if ((k.CtState & CtStateBits.Established) != 0) estOk++;
        return new EngineResult(n / newS, ep.Length / estS, newOk, estOk, n);
    }

    /// <summary>Per-decision latency of the bare engine on established packets (each Execute timed alone).</summary>
    public static (double P50Us, double P99Us) EngineLatency(int phase, int n, int samples)
    {
        var engine = new ConntrackEngine(SystemClock.Instance);
        var (np, nk) = Prepare(NewFrames(phase, n));
        for (int i = 0; i < n; i++) engine.Execute(ref np[i], ref nk[i], Commit);
        var (ep, ek) = Prepare(Enumerable.Range(0, samples + 200).Select(j => Forward(phase, j % n)).ToArray());
        var us = new double[samples];
        for (int j = 0; j < ep.Length; j++)
        {
            long t0 = Stopwatch.GetTimestamp();
            engine.Execute(ref ep[j], ref ek[j], Commit);
            long t1 = Stopwatch.GetTimestamp();
            if (j >= 200) us[j - 200] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
        }
        return (Percentile(us, 0.50), Percentile(us, 0.99));
    }

    /// <summary>Managed bytes per committed connection in a bare engine holding n of them.</summary>
    public static double EngineBytesPerConnection(int phase, int n)
    {
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var engine = new ConntrackEngine(SystemClock.Instance, new ConntrackSettings { MaxConnections = n + 16 });
        for (int i = 0; i < n; i++)
        {
            var p = Packet.From(Forward(phase, i), 1);
            var k = default(FlowKey);
            PacketParser.Parse(p.Span, 1, ref k);
            engine.Execute(ref p, ref k, Commit);
        }
        long after = GC.GetTotalMemory(forceFullCollection: true);
        if (engine.Count != n) throw new InvalidOperationException($"engine holds {engine.Count} connections, expected {n}");
        GC.KeepAlive(engine);
        return (after - before) / (double)n;
    }

    public sealed record DatapathResult(double NewPerSec, double EstPerSec, long Output);

    /// <summary>Packets/s through a plain Datapath (parse, classify, ct with the in-process engine, output) with the bench flow.</summary>
    public static DatapathResult DatapathThroughput(int phase, int n)
    {
        var engine = new ConntrackEngine(SystemClock.Instance, new ConntrackSettings { MaxConnections = 2 * n + 16 });
        var dp = new DatapathCore(engine, SystemClock.Instance);
        var outPort = new NullPort(2);
        dp.AddPort(new NullPort(1));
        dp.AddPort(outPort);
        dp.AddFlow(FlowParser.Parse(FlowLine));
        var np = NewFrames(phase, n).Select(f => Packet.From(f, 1)).ToArray();
        var ep = EstablishedFrames(phase, n).Select(f => Packet.From(f, 1)).ToArray();
        long t0 = Stopwatch.GetTimestamp();
        foreach (var p in np) dp.Receive(p);
        double newS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        t0 = Stopwatch.GetTimestamp();
        foreach (var p in ep) dp.Receive(p);
        double estS = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        if (engine.Count != n) throw new InvalidOperationException($"datapath engine holds {engine.Count} connections, expected {n}");
        return new DatapathResult(n / newS, ep.Length / estS, outPort.Counters.TxPackets);
    }

    public sealed record DriveResult(int Frames, double Seconds, int Matching, int Dropped, string? FirstMismatch)
    {
        public double PerSec => Frames / Seconds;
    }

    /// <summary>Messages of frames into one node's datapath actor, up to <paramref name="inFlight"/> unanswered at a time;
    /// counts the frames whose ct_state has <paramref name="expectBit"/>.</summary>
    public static async Task<DriveResult> DriveAsync(IActorRef datapath, IEnumerable<byte[][]> messages, int inFlight, byte expectBit, TimeSpan timeout)
    {
        var pending = new Queue<Task<InjectFramesReply>>();
        int frames = 0, matching = 0, dropped = 0, sent = 0;
        string? first = null;
        var bases = new Queue<int>();
        void Count(InjectFramesReply r)
        {
            int b = bases.Dequeue();
            foreach (var f in r.Frames)
            {
                if ((f.CtState & expectBit) != 0) matching++;
                else first ??= $"frame {b + f.Index - 1}: ct_state=0x{f.CtState:x2} drop={f.Drop ?? "-"}";
                if (f.Drop is not null) dropped++;
            }
        }
        long t0 = Stopwatch.GetTimestamp();
        foreach (var m in messages)
        {
            if (pending.Count >= inFlight) Count(await pending.Dequeue());
            bases.Enqueue(sent);
            sent += m.Length;
            frames += m.Length;
            pending.Enqueue(datapath.Ask<InjectFramesReply>(new InjectFrames(1, m), timeout));
        }
        while (pending.Count > 0) Count(await pending.Dequeue());
        return new DriveResult(frames, Stopwatch.GetElapsedTime(t0).TotalSeconds, matching, dropped, first);
    }

    public static IEnumerable<byte[][]> Chunk(byte[][] frames, int per) => frames.Chunk(per);

    /// <summary>New tuples built as they are sent (for the memory run, so the frames are not held).</summary>
    public static IEnumerable<byte[][]> LazyNew(int phase, int n, int per)
    {
        for (int i = 0; i < n; i += per)
        {
            var m = new byte[Math.Min(per, n - i)][];
            for (int j = 0; j < m.Length; j++) m[j] = Forward(phase, i + j);
            yield return m;
        }
    }

    /// <summary>Single-frame InjectFrames round trips (ask to the local datapath actor), one at a time.</summary>
    public static async Task<(double P50Us, double P99Us, int Est)> RoundTripLatencyAsync(IActorRef datapath, IReadOnlyList<byte[]> frames, int warmup, int samples, TimeSpan timeout)
    {
        var us = new double[samples];
        int est = 0;
        for (int j = 0; j < warmup + samples; j++)
        {
            var msg = new InjectFrames(1, new[] { frames[j % frames.Count] });
            long t0 = Stopwatch.GetTimestamp();
            var r = await datapath.Ask<InjectFramesReply>(msg, timeout);
            long t1 = Stopwatch.GetTimestamp();
            if (j < warmup) continue;
            us[j - warmup] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
            if ((r.Frames[0].CtState & CtStateBits.Established) != 0) est++;
        }
        return (Percentile(us, 0.50), Percentile(us, 0.99), est);
    }

    public static double Percentile(double[] values, double q)
    {
        var s = (double[])values.Clone();
        Array.Sort(s);
        return s[Math.Clamp((int)Math.Ceiling(q * s.Length) - 1, 0, s.Length - 1)];
    }
}
