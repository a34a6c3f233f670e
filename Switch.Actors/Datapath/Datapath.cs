using Switch.Actors.Conntrack;
using Switch.Actors.Packets;
using Switch.Actors.Ports;
using Switch.Contracts;

namespace Switch.Actors.Datapath;

/// <summary>
/// One node's OpenFlow pipeline: parse, table 0, actions, resubmit/goto, recirculation after ct(table=N),
/// outputs. Single-threaded by design (one datapath per node loop or actor); the core holds no Akka or I/O:
/// ports are interfaces and time comes from the injected clock.
/// </summary>
public sealed class Datapath
{
    public const int MaxResubmitDepth = 64;
    public const int MaxRecirculations = 8;

    private readonly IConntrack? _conntrack;
    private readonly IClock _clock;
    private readonly SortedDictionary<uint, IPort> _ports = new();
    private readonly Queue<(Packet Packet, FlowKey Key, byte Table, int Recircs)> _recirc = new();

    public FlowTables Tables { get; } = new();
    public MacLearningTable MacTable { get; } = new();
    public DatapathCounters Counters { get; } = new();
    public Action<string>? Log { get; set; }

    public Datapath(IConntrack? conntrack, IClock clock)
    {
        _conntrack = conntrack;
        _clock = clock;
    }

    public IClock Clock => _clock;
    public IReadOnlyDictionary<uint, IPort> Ports => _ports;
    public void AddPort(IPort port) => _ports[port.Number] = port;

    public void AddFlow(Flow f) => Tables.Add(f, _clock.NowUs);

    /// <summary>Processes one received frame to completion (including recirculations).</summary>
    public void Receive(Packet packet, PacketTrace? trace = null)
    {
        var pc = Counters.Port(packet.InPort);
        pc.RxPackets++; pc.RxBytes += packet.Length;
        var ctx = _ctx.Reset(packet, trace, 0);
        var pr = PacketParser.Parse(packet.Span, packet.InPort, ref ctx.Key);
        if (pr != ParseResult.Ok)
        {
            Drop(ctx, "malformed:" + pr);
            return;
        }
        RunTable(ctx, 0, 0, recirculated: false);
        while (_recirc.Count > 0)
        {
            var (p, k, table, n) = _recirc.Dequeue();
            var c2 = _recircCtx.Reset(p, trace, n);
            c2.Key = k;
            RunTable(c2, table, 0, recirculated: true);
            ctx.Outputs += c2.Outputs; ctx.Stolen |= c2.Stolen; ctx.DropAction |= c2.DropAction;
            if (c2.DropReason is not null) ctx.DropReason ??= c2.DropReason;
        }
        if (ctx.Outputs == 0 && !ctx.Stolen && ctx.DropReason is null) Drop(ctx, ctx.DropAction ? "drop_action" : "no_output");
    }

    // The datapath is single-threaded: one context for the received packet and one for recirculations,
    // reused so the packet path does not allocate.
    private readonly Ctx _ctx = new(), _recircCtx = new();

    private sealed class Ctx
    {
        public Ctx Reset(Packet p, PacketTrace? trace, int recircs)
        {
            Packet = p; Key = default; Trace = trace; Outputs = 0; Recircs = recircs; Stolen = false; Halted = false; DropAction = false; DropReason = null;
            return this;
        }

        public Packet Packet = null!;
        public FlowKey Key;
        public PacketTrace? Trace;
        public int Outputs;
        public int Recircs;
        public bool Stolen;
        public bool Halted;
        public bool DropAction;
        public string? DropReason;
    }

    private void Drop(Ctx ctx, string reason)
    {
        ctx.DropReason ??= reason;
        Counters.Drop(reason);
        Counters.Port(ctx.Packet.InPort).Dropped++;
        if (ctx.Trace is not null) ctx.Trace.DropReason ??= reason;
    }

    private void RunTable(Ctx ctx, byte tableId, int depth, bool recirculated)
    {
        if (depth > MaxResubmitDepth) { Drop(ctx, "resubmit_depth_exceeded"); ctx.Halted = true; return; }
        var table = Tables[tableId];
        var flow = table?.Lookup(ctx.Key);
        Counters.TableLookup(tableId, flow is not null);
        ctx.Trace?.Tables.Add(new PacketTrace.TableStep(depth, tableId, flow, recirculated));
        if (flow is null)
        {
            if (depth == 0 && ctx.Outputs == 0) Drop(ctx, $"table_miss:{tableId}");
            return;
        }
        flow.NPackets++; flow.NBytes += ctx.Packet.Length; flow.LastUsedUs = _clock.NowUs;
        if (flow.Actions.Count == 0) ctx.DropAction = true;
        Execute(ctx, flow, depth);
    }

    private void Execute(Ctx ctx, Flow flow, int depth)
    {
        var actions = flow.Actions;
        for (int i = 0; i < actions.Count && !ctx.Halted; i++)
        {
            switch (actions[i])
            {
                case OutputAction o: Output(ctx, o.Port); break;
                case OutputRegAction r: Output(ctx, (uint)((r.Source.Field.Get(ctx.Key) & r.Source.Mask) >> r.Source.Ofs)); break;
                case ControllerAction:
                    Counters.ToController++;
                    Log?.Invoke($"controller: in_port={ctx.Key.InPort} table={flow.Table} {flow.FormatMatch()}");
                    ctx.Outputs++;
                    break;
                case ResubmitAction rs:
                {
                    uint saved = ctx.Key.InPort;
                    if (rs.Port is uint rp && rp != OfPorts.InPort) ctx.Key.InPort = rp;
                    RunTable(ctx, rs.Table ?? flow.Table, depth + 1, recirculated: false);
                    ctx.Key.InPort = saved;
                    break;
                }
                case GotoTableAction g: RunTable(ctx, g.Table, depth, recirculated: false); break;
                case SetFieldAction s: SetField(ctx, s.Field, s.Value, s.Mask); break;
                case MoveAction mv:
                {
                    var v = (mv.Src.Field.Get(ctx.Key) & mv.Src.Mask) >> mv.Src.Ofs;
                    SetField(ctx, mv.Dst.Field, v << mv.Dst.Ofs, mv.Dst.Mask);
                    break;
                }
                case StripVlanAction: PacketRewriter.StripVlan(ctx.Packet, ref ctx.Key); break;
                case PushVlanAction pv: PacketRewriter.PushVlan(ctx.Packet, ref ctx.Key, pv.Tpid); break;
                case DecTtlAction:
                    if (ctx.Key.NwTtl <= 1) { Drop(ctx, "ttl_exceeded"); ctx.Halted = true; break; }
                    PacketRewriter.SetTtl(ctx.Packet, ref ctx.Key, (byte)(ctx.Key.NwTtl - 1));
                    break;
                case CtClearAction: ctx.Key.ClearCt(); break;
                case NoteAction: break;
                case CtAction ct: Ct(ctx, ct, isLast: i == actions.Count - 1 && depth == 0); break;
            }
        }
    }

    private void Ct(Ctx ctx, CtAction ct, bool isLast)
    {
        if (_conntrack is null) { Drop(ctx, "ct_unavailable"); ctx.Halted = true; return; }
        ushort zone = ct.ZoneSource is null ? ct.Zone : (ushort)((ct.ZoneSource.Field.Get(ctx.Key) & ct.ZoneSource.Mask) >> ct.ZoneSource.Ofs);
        var req = new CtRequest(zone, ct.Commit, ct.Force, ct.Alg);
        foreach (var e in ct.Exec)
        {
            if (e.Field == Fields.CtMark) req = req with { SetMark = true, Mark = (uint)e.Value, MarkMask = (uint)e.Mask };
            else req = req with { SetLabel = true, Label = e.Value, LabelMask = e.Mask };
        }
        // ct forks the pipeline: the tracked instance goes to table=N; the original continues untracked.
        var packet = isLast || ct.Table is null ? ctx.Packet : ctx.Packet.Clone();
        var key = ctx.Key;
        var outcome = _conntrack.Execute(ref packet, ref key, in req);
        Counters.CtExecutions++;
        ctx.Trace?.Ct.Add(new PacketTrace.CtStep(key.CtState, key.CtZone, key.CtMark, key.CtLabel, outcome.Verdict.ToString()));
        if (outcome.Verdict == CtVerdict.Stolen) { ctx.Stolen = true; ctx.Halted = true; Counters.CtStolen++; return; }
        if (outcome.Verdict == CtVerdict.Drop) { Drop(ctx, "ct:" + outcome.DropReason); ctx.Halted = true; return; }
        if (ct.Table is byte t)
        {
            if (ctx.Recircs >= MaxRecirculations) { Drop(ctx, "recirculation_limit"); return; }
            _recirc.Enqueue((packet, key, t, ctx.Recircs + 1));
            if (isLast) ctx.Halted = true;
        }
        else if (!ReferenceEquals(packet, ctx.Packet))
        {
            // A completed datagram continues as the reassembled packet.
            ctx.Packet = packet;
            ctx.Key = key;
            ctx.Key.ClearCt();
        }
    }

    private void SetField(Ctx ctx, FieldDef f, UInt128 value, UInt128 mask)
    {
        var v = (f.Get(ctx.Key) & ~mask) | (value & mask);
        if (!f.PacketWrite) { f.Set(ref ctx.Key, v); return; }
        var p = ctx.Packet;
        ref var k = ref ctx.Key;
        if (f == Fields.DlSrc) PacketRewriter.SetDlSrc(p, ref k, (ulong)v);
        else if (f == Fields.DlDst) PacketRewriter.SetDlDst(p, ref k, (ulong)v);
        else if (f == Fields.VlanTci) PacketRewriter.SetVlanTci(p, ref k, (ushort)v);
        else if (f == Fields.NwSrc || f == Fields.ArpSpa) PacketRewriter.SetNwAddr(p, ref k, true, (uint)v);
        else if (f == Fields.NwDst || f == Fields.ArpTpa) PacketRewriter.SetNwAddr(p, ref k, false, (uint)v);
        else if (f == Fields.Ipv6Src) PacketRewriter.SetIpv6Addr(p, ref k, true, v);
        else if (f == Fields.Ipv6Dst) PacketRewriter.SetIpv6Addr(p, ref k, false, v);
        else if (f == Fields.NwTos) PacketRewriter.SetTos(p, ref k, (byte)v, k.NwEcn);
        else if (f == Fields.NwEcn) PacketRewriter.SetTos(p, ref k, k.NwTos, (byte)v);
        else if (f == Fields.NwTtl) PacketRewriter.SetTtl(p, ref k, (byte)v);
        else if (f == Fields.Ipv6Label) PacketRewriter.SetIpv6Label(p, ref k, (uint)v);
        else if (f == Fields.TpSrc || f == Fields.IcmpType || f == Fields.Icmpv6Type) PacketRewriter.SetTp(p, ref k, true, (ushort)v);
        else if (f == Fields.TpDst || f == Fields.IcmpCode || f == Fields.Icmpv6Code) PacketRewriter.SetTp(p, ref k, false, (ushort)v);
        else if (f == Fields.ArpOp) PacketRewriter.SetArpOp(p, ref k, (byte)v);
        else if (f == Fields.ArpSha) PacketRewriter.SetArpHa(p, ref k, true, (ulong)v);
        else if (f == Fields.ArpTha) PacketRewriter.SetArpHa(p, ref k, false, (ulong)v);
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
        ctx.Trace?.Outputs.Add(portNo);
        if (!_ports.TryGetValue(portNo, out var port)) { Counters.Drop("no_such_port"); return; }
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
