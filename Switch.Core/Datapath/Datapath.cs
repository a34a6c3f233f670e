using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;

namespace Switch.Core.Datapath;

/// <summary>
/// One node's OpenFlow pipeline: parse, table 0, actions, resubmit/goto, recirculation after ct(table=N),
/// outputs. Single-threaded by design (one datapath per node loop or actor); the core holds no Akka or I/O:
/// ports are interfaces, time comes from the injected clock, and conntrack is either in-process
/// (<see cref="IConntrack"/>, answered at once) or remote (<see cref="IRemoteConntrack"/>: the packet is parked
/// with its action stack and continues in <see cref="Resume"/>).
/// </summary>
public sealed partial class Datapath
{
    public const int MaxResubmitDepth = 64;
    /// <summary>Tables one pass of a packet may enter through resubmit and goto_table (OVS: MAX_RESUBMITS).</summary>
    public const int MaxResubmits = 4096;
    public const int MaxRecirculations = 8;

    private readonly IConntrack? _conntrack;
    private readonly IRemoteConntrack? _remote;
    private readonly IClock _clock;
    private readonly SortedDictionary<uint, IPort> _ports = new();
    // With in-process conntrack every packet completes before the next: one context, reused, so the packet
    // path does not allocate. With remote conntrack packets overlap and each gets its own.
    private readonly Ctx _ctx = new();
    private Ctx? _spare;

    public FlowTables Tables { get; } = new();
    public MacLearningTable MacTable { get; } = new();
    public DatapathCounters Counters { get; } = new();
    public Action<string>? Log { get; set; }
    /// <summary>Packets parked waiting for a remote ct answer.</summary>
    public int PendingCt { get; private set; }

    /// <summary>A datapath whose ct actions go to <paramref name="conntrack"/> (in-process) or, when given,
    /// to <paramref name="remote"/> (answered later through <see cref="Resume"/>).</summary>
    public Datapath(IConntrack? conntrack, IClock clock, IRemoteConntrack? remote = null)
    {
        _conntrack = conntrack;
        _remote = remote;
        _clock = clock;
    }

    public IClock Clock => _clock;
    public IReadOnlyDictionary<uint, IPort> Ports => _ports;
    public void AddPort(IPort port) => _ports[port.Number] = port;
    public void AddFlow(Flow f) => Tables.Add(f, _clock.NowUs);

    /// <summary>
    /// Processes one received frame: to completion with in-process conntrack, or until its ct action is
    /// submitted to remote conntrack. <paramref name="done"/> runs when the packet is finished either way.
    /// </summary>
    public void Receive(Packet packet, PacketTrace? trace = null, Action<PacketTrace?>? done = null)
    {
        var pc = Counters.Port(packet.InPort);
        pc.RxPackets++; pc.RxBytes += packet.Length;
        // With remote conntrack a packet may be parked at ct holding its context; one that finished gives it back.
        var ctx = (_remote is null ? _ctx : _spare ?? new Ctx()).Reset(packet, trace, done);
        _spare = null;
        var pr = PacketParser.Parse(packet.Span, packet.InPort, ref ctx.Key);
        if (pr != ParseResult.Ok)
        {
            Drop(ctx, "malformed:" + pr);
            Finish(ctx);
            return;
        }
        if (packet.TunId != 0 || packet.TunSrc != 0) { ctx.Key.TunId = packet.TunId; ctx.Key.TunSrc = packet.TunSrc; }
        EnterTable(ctx, 0, 0, recirculated: false);
        Run(ctx);
        // Finished here (not parked at a remote ct): nothing else holds the context.
        if (_remote is not null && ctx.Pending is null) { ctx.Trace = null; ctx.Done = null; _spare = ctx; }
    }

    /// <summary>Continues the packet of <paramref name="call"/> with the remote conntrack's answer
    /// (its packet and key replaced by the reassembled datagram when it completed one).</summary>
    public void Resume(CtCall call, CtOutcome outcome)
    {
        var ctx = (Ctx)call.Continuation;
        PendingCt--;
        ctx.Pending = null;
        AfterCt(ctx, ctx.PendingAction!, call.Packet, call.Key, outcome);
        Run(ctx);
    }

    private void Finish(Ctx ctx)
    {
        if (ctx.Outputs == 0 && !ctx.Stolen && ctx.DropReason is null) Drop(ctx, ctx.DropAction ? "drop_action" : "no_output");
        ctx.Done?.Invoke(ctx.Trace);
    }

    private void Drop(Ctx ctx, string reason)
    {
        ctx.DropReason ??= reason;
        Counters.Drop(reason);
        Counters.Port(ctx.Packet.InPort).Dropped++;
        if (ctx.Trace is not null) ctx.Trace.DropReason ??= reason;
    }

    private void Output(Ctx ctx, uint port)
    {
        uint inPort = ctx.Key.InPort;
        switch (port)
        {
            case OfPorts.InPort: Send(ctx, inPort); return;
            case OfPorts.Normal: Normal(ctx); return;
            case OfPorts.Flood:
            case OfPorts.All:
                foreach (var p in _ports.Keys) if (p != inPort) Send(ctx, p);
                return;
            case OfPorts.Controller: Counters.ToController++; ctx.Outputs++; return;
        }
        // OpenFlow: output to the input port is dropped; IN_PORT must be used explicitly.
        if (port == inPort) { Counters.Drop("output_to_in_port"); return; }
        Send(ctx, port);
    }

    private void Normal(Ctx ctx)
    {
        ref var k = ref ctx.Key;
        ushort vlan = (ushort)(k.VlanTci & 0x0fff);
        long now = _clock.NowUs;
        MacTable.Learn(vlan, k.DlSrc, k.InPort, now);
        uint? dst = (k.DlDst >> 40 & 1) != 0 ? null : MacTable.Lookup(vlan, k.DlDst, now);
        if (dst is null)
        {
            foreach (var p in _ports.Keys) if (p != k.InPort) Send(ctx, p);
            return;
        }
        if (dst.Value != k.InPort) Send(ctx, dst.Value);
    }

    private void Send(Ctx ctx, uint portNo)
    {
        // Output to a port that is not configured goes nowhere (as OVS): counted, and not listed among the outputs.
        if (!_ports.TryGetValue(portNo, out var port)) { Counters.Drop("no_such_port"); return; }
        ctx.Trace?.Outputs.Add(portNo);
        var pkt = ctx.Packet;
        var pc = Counters.Port(portNo);
        int l3 = ctx.Key.L3Len;
        int mtu = port.Mtu;
        if (pkt.Mru != 0 && l3 > pkt.Mru)
        {
            // A datagram conntrack reassembled leaves as fragments no larger than the largest one received.
            if (mtu != 0 && pkt.Mru > mtu) { Counters.Drop("mru_exceeds_mtu"); pc.TxDropped++; return; }
            var frags = new List<Packet>();
            if (!Refragmenter.Fragment(pkt, pkt.Mru, frags)) { Counters.Drop("refragment_failed"); pc.TxDropped++; return; }
            foreach (var fr in frags) { port.Send(fr); pc.TxPackets++; pc.TxBytes += fr.Length; }
            Counters.Refragmented++;
            ctx.Outputs++;
            return;
        }
        if (mtu != 0 && l3 > mtu) { Counters.Drop("mtu_exceeded"); pc.TxDropped++; return; }
        port.Send(pkt);
        pc.TxPackets++; pc.TxBytes += pkt.Length;
        ctx.Outputs++;
    }

    /// <summary>Expires flows by idle/hard timeout on the datapath clock.</summary>
    public int ExpireFlows() => Tables.Expire(_clock.NowUs).Count;
}
