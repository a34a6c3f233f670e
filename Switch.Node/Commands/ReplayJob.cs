using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;

namespace Switch.Node.Commands;

public sealed record ReplayOptions(string FlowsPath, IReadOnlyList<ReplayInput> Inputs, string OutDir,
    string? TraceJsonPath = null, bool DumpConntrack = false);

/// <summary>
/// Replay: captures in, through one node's pipeline, one pcap per output port out. Time follows the capture
/// timestamps (a <see cref="ManualClock"/>), so timeouts behave as they did on the wire.
/// </summary>
public sealed class ReplayJob
{
    public Datapath Datapath { get; }
    public IConntrack? Conntrack { get; }
    public ReplaySource Source { get; }
    public long Frames { get; private set; }
    private readonly ReplayOptions _o;
    private readonly ManualClock _clock = new();

    public ReplayJob(ReplayOptions o, IConntrack? conntrack = null, Func<IClock, IConntrack>? conntrackFactory = null)
    {
        _o = o;
        var flows = FlowFile.Load(o.FlowsPath);
        foreach (var i in o.Inputs)
            if (!File.Exists(i.Path)) throw new UsageException($"capture '{i.Path}' for port {i.Port} not found");
        Conntrack = conntrack ?? conntrackFactory?.Invoke(_clock);
        Datapath = new Datapath(Conntrack, _clock);
        foreach (var f in flows) Datapath.AddFlow(f);
        Directory.CreateDirectory(o.OutDir);
        foreach (var p in PortNumbers(flows, o.Inputs))
        {
            string name = OfPorts.Name(p);
            Datapath.AddPort(new PcapFilePort(p, name, Path.Combine(o.OutDir, $"port-{name}.pcap")));
        }
        Source = new ReplaySource(o.Inputs);
    }

    /// <summary>Every input port plus every port a flow outputs to, so FLOOD and NORMAL reach them all.</summary>
    public static SortedSet<uint> PortNumbers(IEnumerable<Flow> flows, IEnumerable<ReplayInput> inputs)
    {
        var set = OfPorts.OutputPorts(flows);
        set.UnionWith(inputs.Select(i => i.Port));
        return set;
    }

    public void Run()
    {
        using var trace = _o.TraceJsonPath is null ? null : new StreamWriter(_o.TraceJsonPath);
        long lastExpiry = 0;
        foreach (var p in Source)
        {
            Frames++;
            if (Frames == 1) _clock.NowUs = p.TimestampUs;
            _clock.AdvanceTo(p.TimestampUs);
            if (_clock.NowUs - lastExpiry >= 1_000_000) { Datapath.ExpireFlows(); lastExpiry = _clock.NowUs; }
            var t = trace is null ? null : new PacketTrace();
            uint inPort = p.InPort;
            Datapath.Receive(p, t);
            if (t is not null) trace!.WriteLine(TraceJson.Line(Frames, inPort, t));
        }
        foreach (var port in Datapath.Ports.Values) port.Dispose();
    }

    public string Summary() => ReplaySummary.Format(this);
}
