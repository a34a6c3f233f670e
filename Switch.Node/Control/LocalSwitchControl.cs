using Switch.Node.Tracing;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>
/// The control interface of a single node: one <see cref="Datapath"/> with an in-process conntrack on the
/// system clock. The datapath is single-threaded by design, and HTTP requests arrive on many threads, so
/// every request runs under one lock; requests are short (a flow-mod, a dump, a few frames).
/// </summary>
public sealed class LocalSwitchControl : ISwitchControl, IDisposable
{
    /// <summary>Frames an on-demand port keeps before it forgets them: nothing reads them on a lone node, and a
    /// long-running node must not grow without bound.</summary>

    /// <summary>The <see cref="PacketOutFrame.Drop"/> of a fragment held by conntrack until its datagram is whole.</summary>
    public const string HeldForReassembly = "held:reassembly";

    private readonly Lock _lock = new();
    private readonly Datapath _dp;
    private readonly ConntrackEngine _ct;
    private readonly IClock _clock;
    private long _version;
    private bool _disposed;

    public LocalSwitchControl(string name, IClock? clock = null, ConntrackSettings? settings = null)
    {
        Name = name;
        _clock = clock ?? SystemClock.Instance;
        _ct = new ConntrackEngine(_clock, settings);
        _dp = new Datapath(_ct, _clock);
    }

    public string Name { get; }
    public ConntrackSettings Settings => _ct.Settings;
    /// <summary>Where this node's control API listens, for the cluster view; set once the host has bound.</summary>
    public string ApiUrl { get; set; } = "";
    public long Version { get { lock (_lock) return _version; } }

    /// <summary>Adds a configured port (pcap capture, MTU); replaces an on-demand one with the same number.</summary>
    public void AddPort(IPort port)
    {
        lock (_lock)
        {
            if (_dp.Ports.TryGetValue(port.Number, out var old)) old.Dispose();
            _dp.AddPort(port);
        }
    }

    public IReadOnlyDictionary<uint, IPort> Ports { get { lock (_lock) return new Dictionary<uint, IPort>(_dp.Ports); } }

    /// <summary>A frame captured by a live or tunnel port, on that port's thread: the datapath runs it under the same
    /// lock as every request, so ports and control never meet inside it.</summary>
    public void ReceiveFrame(Packet packet)
    {
        lock (_lock)
        {
            if (_disposed) return;
            _dp.Receive(packet);
        }
    }

    /// <summary>A frame another node's pipeline already sent to our port <paramref name="portNo"/> (through a tunnel).</summary>
    public void Deliver(uint portNo, Packet packet)
    {
        lock (_lock)
        {
            if (_disposed || !_dp.Ports.TryGetValue(portNo, out var port)) return;
            port.Send(packet);
        }
    }

    public Task<PortsStatus> PortsAsync(CancellationToken ct = default)
    {
        lock (_lock)
            return Task.FromResult(new PortsStatus(Name, _dp.Ports.Values.Select(PortTable.Status).ToList()));
    }

    public Task<FlowModResult> AddFlowsAsync(AddFlowsRequest request, CancellationToken ct = default)
    {
        var flows = FlowRequestText.ParseBatch(request.Flows);
        lock (_lock)
        {
            foreach (var f in flows) _dp.AddFlow(f);
            return Task.FromResult(new FlowModResult(flows.Count, ++_version));
        }
    }

    public Task<FlowModResult> ModFlowsAsync(ModFlowsRequest request, CancellationToken ct = default)
    {
        var sel = FlowRequestText.Parse(request.Flow, FlowTextMode.Add, "flow");
        lock (_lock)
        {
            _dp.ExpireFlows();
            int n = _dp.Tables.Modify(sel, request.Strict, _clock.NowUs);
            // As ovs-ofctl (OpenFlow 1.0), a strict mod-flows that selects nothing adds its flow: that is a change too.
            if (n == 0 && request.Strict) n = 1;
            return Task.FromResult(new FlowModResult(n, n > 0 ? ++_version : _version));
        }
    }

    public Task<FlowModResult> DelFlowsAsync(DelFlowsRequest request, CancellationToken ct = default)
    {
        var sel = FlowRequestText.Parse(request.Match, FlowTextMode.Select, "match");
        lock (_lock)
        {
            int n = _dp.Tables.Delete(sel, request.Strict);
            return Task.FromResult(new FlowModResult(n, n > 0 ? ++_version : _version));
        }
    }

    public Task<IReadOnlyList<string>> DumpFlowsAsync(string? match, CancellationToken ct = default)
    {
        Flow? sel = string.IsNullOrWhiteSpace(match) ? null : FlowRequestText.Parse(match, FlowTextMode.Select, "match");
        lock (_lock)
        {
            _dp.ExpireFlows();
            return Task.FromResult<IReadOnlyList<string>>(_dp.Tables.Dump(_clock.NowUs, sel).ToList());
        }
    }

    public Task<IReadOnlyList<string>> DumpConntrackAsync(ushort? zone, CancellationToken ct = default)
    {
        lock (_lock) return Task.FromResult(_ct.DumpConntrack(zone));
    }

    public Task<FlushConntrackResult> FlushConntrackAsync(FlushConntrackRequest request, CancellationToken ct = default)
    {
        var filter = string.IsNullOrWhiteSpace(request.Tuple) ? null : ControlInput.Tuple(request.Tuple);
        lock (_lock) return Task.FromResult(new FlushConntrackResult(_ct.Flush(request.Zone, filter)));
    }

    public Task<string> TraceAsync(TraceRequest request, CancellationToken ct = default)
    {
        var sel = FlowRequestText.Parse(request.Packet, FlowTextMode.Select, "packet description");
        List<Flow> copies;
        lock (_lock)
        {
            _dp.ExpireFlows();
            copies = _dp.Tables.All.SelectMany(t => t.Flows).Select(FlowRequestText.Copy).ToList();
        }
        // Outside the lock: the trace runs on copies in a datapath of its own.
        return Task.FromResult(PacketTracer.Trace(copies, sel.Match));
    }

    public Task<PacketOutResult> PacketOutAsync(PacketOutRequest request, CancellationToken ct = default)
    {
        if (request.Node is { Length: > 0 } node && node != Name)
            throw new ControlException(404, $"no node '{node}' (this is the single node '{Name}')");
        if (request.InPort == 0 || (request.InPort >= OfPorts.Max && request.InPort != OfPorts.Local))
            throw new ControlException(400, $"in_port: expected a port 1-{OfPorts.Max - 1} or LOCAL, got {request.InPort}");
        if (request.PacketsHex.Count == 0) throw new ControlException(400, "no packets given");
        var frames = request.PacketsHex.Select((h, i) => HexFrame.Parse(h, $"packet {i + 1}")).ToList();
        var answers = new List<PacketOutFrame>(frames.Count);
        lock (_lock)
        {
            for (int i = 0; i < frames.Count; i++)
            {
                var trace = new PacketTrace();
                _dp.Receive(Packet.From(frames[i], request.InPort, _clock.NowUs), trace);
                answers.Add(Answer(i + 1, trace));
            }
        }
        return Task.FromResult(new PacketOutResult(Name, answers));
    }

    /// <summary>The frame's final conntrack view (the last ct action it went through) and where it went.</summary>
    public static PacketOutFrame Answer(int index, PacketTrace t)
    {
        var c = t.Ct.Count > 0 ? t.Ct[^1] : null;
        var outputs = t.Outputs.Distinct().ToList();
        // A fragment conntrack keeps for reassembly has neither outputs nor a drop: say where it went.
        string? drop = outputs.Count > 0 ? null : t.DropReason ?? (c?.Verdict == "Stolen" ? HeldForReassembly : null);
        return new PacketOutFrame(index, CtStateBits.Format(c?.State ?? 0), c?.Zone ?? 0, c?.Mark ?? 0, outputs, drop);
    }

    public Task<ClusterStatus> ClusterAsync(CancellationToken ct = default)
    {
        int connections;
        lock (_lock) connections = _ct.Count;
        var self = new MemberStatus(Name, "local", "Up", new[] { "single-node" }, ApiUrl, 0, connections, Self: true);
        return Task.FromResult(new ClusterStatus(Name, new[] { self }));
    }

    /// <summary>The single node as the status page shows it: one member, itself.</summary>
    public async Task<StatusReport> StatusAsync(CancellationToken ct = default)
    {
        var st = Stats();
        var flows = await DumpFlowsAsync(null, ct);
        var self = new MemberReport(Name, "local", "Up", true, true, true, 0, st.EntriesByZone.Values.Sum(), 0,
            st.Datapath.CtQueries, 0, 0, st.Refused, st.Datapath.Drops);
        return new StatusReport(Name, false, Name, StatusReports.NowUnixMs(), new[] { self }, flows.Count, StatusReports.TopFlows(flows), null);
    }

    /// <summary>A copy of the counters for /metrics. The in-process conntrack answers every ct call at once, so calls made
    /// and decided are both the datapath's ct executions, and none is ever pending, timed out or refused.</summary>
    public Metrics.LocalNodeStats Stats()
    {
        lock (_lock)
        {
            var c = _dp.Counters;
            var ports = new List<(uint, string, long)>();
            foreach (var (no, p) in c.Ports)
            {
                ports.Add((no, "rx", p.RxPackets));
                ports.Add((no, "tx", p.TxPackets));
                ports.Add((no, "tx_dropped", p.TxDropped));
                ports.Add((no, "dropped", p.Dropped));
            }
            var stats = new Actors.Cluster.DatapathStats(ports, new Dictionary<string, long>(c.Drops), c.CtExecutions, c.CtExecutions,
                0, 0, 0, c.ToController);
            var zones = _ct.Counters.ZoneEntries.ToDictionary(z => z.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), z => z.Value);
            return new Metrics.LocalNodeStats(stats, zones, _ct.Counters.Expectations, _ct.ReassemblyInProgress,
                _ct.Counters.Evictions, _ct.Counters.Refused);
        }
    }

    /// <summary>Flows loaded at start (from a file already parsed with its file/line errors).</summary>
    public void Load(IEnumerable<Flow> flows)
    {
        var list = flows.ToList();
        lock (_lock)
        {
            foreach (var f in list) _dp.AddFlow(f);
            if (list.Count > 0) _version++;
        }
    }

    /// <summary>Closes the ports, which flushes pcap captures to disk.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var p in _dp.Ports.Values) p.Dispose();
        }
    }
}
