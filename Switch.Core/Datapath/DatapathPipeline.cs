using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Core.Datapath;

/// <summary>
/// The action interpreter. Nested tables (resubmit) are frames on an explicit stack rather than recursion, so
/// a packet can be parked at a ct action (remote conntrack) and continue exactly where it stopped.
/// </summary>
public sealed partial class Datapath
{
    private struct Frame
    {
        public Flow Flow;
        public int Next;
        public int Depth;
        public uint RestoreInPort;
        public bool Restore;
    }

    private sealed class Ctx
    {
        public Packet Packet = null!;
        public FlowKey Key;
        public PacketTrace? Trace;
        public Action<PacketTrace?>? Done;
        public readonly List<Frame> Stack = new(8);
        public readonly Queue<(Packet Packet, FlowKey Key, byte Table, int Recircs)> Recirc = new();
        public int Outputs;
        public int Recircs;
        /// <summary>Tables entered by resubmit or goto_table in this pass (OVS's ctx->resubmits).</summary>
        public int Resubmits;
        public bool Stolen;
        public bool DropAction;
        public string? DropReason;
        public CtCall? Pending;
        public CtAction? PendingAction;
        public bool PendingIsLast;

        public Ctx Reset(Packet p, PacketTrace? trace, Action<PacketTrace?>? done)
        {
            Packet = p; Key = default; Trace = trace; Done = done; Outputs = 0; Recircs = 0; Resubmits = 0; Stolen = false;
            DropAction = false; DropReason = null; Pending = null; PendingAction = null;
            Stack.Clear(); Recirc.Clear();
            return this;
        }
    }

    /// <summary>Looks up <paramref name="tableId"/> and pushes the matched flow's actions (or records the miss).</summary>
    private void EnterTable(Ctx ctx, byte tableId, int depth, bool recirculated, uint? restoreInPort = null)
    {
        if (depth > MaxResubmitDepth)
        {
            Drop(ctx, "resubmit_depth_exceeded");
            ctx.Stack.Clear();
            return;
        }

        var flow = Tables[tableId]?.Lookup(ctx.Key);
        Counters.TableLookup(tableId, flow is not null);
        ctx.Trace?.Tables.Add(new PacketTrace.TableStep(depth, tableId, flow, recirculated));
        if (flow is null)
        {
            if (depth == 0 && ctx.Outputs == 0) Drop(ctx, $"table_miss:{tableId}");
            if (restoreInPort is uint rp) ctx.Key.InPort = rp;
            return;
        }
        flow.NPackets++; flow.NBytes += ctx.Packet.Length; flow.LastUsedUs = _clock.NowUs;
        if (flow.Actions.Count == 0) ctx.DropAction = true;
        ctx.Stack.Add(new Frame { Flow = flow, Depth = depth, RestoreInPort = restoreInPort ?? 0, Restore = restoreInPort is not null });
    }

    /// <summary>
    /// Nesting alone does not bound a packet's work: a table that resubmits twice to the next doubles it per level.
    /// As OVS (MAX_RESUBMITS = 64 * 64), one pass may enter at most <see cref="MaxResubmits"/> tables through
    /// resubmit and goto_table; the next one drops the packet (counted as resubmit_limit_exceeded).
    /// </summary>
    private bool CountResubmit(Ctx ctx)
    {
        if (++ctx.Resubmits <= MaxResubmits) return true;
        Drop(ctx, "resubmit_limit_exceeded");
        ctx.Stack.Clear();
        return false;
    }

    /// <summary>Runs actions until the packet (and its recirculations) is done or parked at a remote ct.</summary>
    private void Run(Ctx ctx)
    {
        while (ctx.Pending is null)
        {
            if (ctx.Stack.Count == 0)
            {
                if (ctx.Stolen || !ctx.Recirc.TryDequeue(out var r)) break;
                ctx.Packet = r.Packet; ctx.Key = r.Key; ctx.Recircs = r.Recircs; ctx.Resubmits = 0;
                EnterTable(ctx, r.Table, 0, recirculated: true);
                continue;
            }
            int top = ctx.Stack.Count - 1;
            var frame = ctx.Stack[top];
            var actions = frame.Flow.Actions;
            if (frame.Next >= actions.Count)
            {
                ctx.Stack.RemoveAt(top);
                if (frame.Restore) ctx.Key.InPort = frame.RestoreInPort;
                continue;
            }
            var action = actions[frame.Next++];
            ctx.Stack[top] = frame;
            bool last = frame.Next == actions.Count && top == 0;
            Apply(ctx, action, frame, last);
        }
        if (ctx.Pending is null) Finish(ctx);
    }

    private void Apply(Ctx ctx, FlowAction action, Frame frame, bool last)
    {
        switch (action)
        {
            case OutputAction o: Output(ctx, o.Port); break;
            case OutputRegAction r: Output(ctx, (uint)((r.Source.Field.Get(ctx.Key) & r.Source.Mask) >> r.Source.Ofs)); break;
            case ControllerAction:
                Counters.ToController++;
                Log?.Invoke($"controller: in_port={ctx.Key.InPort} table={frame.Flow.Table} {frame.Flow.FormatMatch()}");
                ctx.Outputs++;
                break;
            case ResubmitAction rs:
            {
                if (!CountResubmit(ctx)) break;
                uint saved = ctx.Key.InPort;
                if (rs.Port is uint rp && rp != OfPorts.InPort) ctx.Key.InPort = rp;
                EnterTable(ctx, rs.Table ?? frame.Flow.Table, frame.Depth + 1, recirculated: false, restoreInPort: saved);
                break;
            }
            case GotoTableAction g:
            {
                // goto_table is the last action: the next table takes this frame's place (and its in_port restore).
                if (!CountResubmit(ctx)) break;
                ctx.Stack.RemoveAt(ctx.Stack.Count - 1);
                EnterTable(ctx, g.Table, frame.Depth, recirculated: false, frame.Restore ? frame.RestoreInPort : null);
                break;
            }
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
                if (ctx.Key.NwTtl <= 1) { Drop(ctx, "ttl_exceeded"); ctx.Stack.Clear(); break; }
                PacketRewriter.SetTtl(ctx.Packet, ref ctx.Key, (byte)(ctx.Key.NwTtl - 1));
                break;
            case CtClearAction: ctx.Key.ClearCt(); break;
            case NoteAction: break;
            case CtAction ct: Ct(ctx, ct, last); break;
        }
    }

    private static CtRequest Request(in FlowKey key, CtAction ct)
    {
        ushort zone = ct.ZoneSource is null ? ct.Zone : (ushort)((ct.ZoneSource.Field.Get(key) & ct.ZoneSource.Mask) >> ct.ZoneSource.Ofs);
        var req = new CtRequest(zone, ct.Commit, ct.Force, ct.Alg);
        foreach (var e in ct.Exec)
        {
            if (e.Field == Fields.CtMark) req = req with { SetMark = true, Mark = (uint)e.Value, MarkMask = (uint)e.Mask };
            else req = req with { SetLabel = true, Label = e.Value, LabelMask = e.Mask };
        }
        return req;
    }

    private void Ct(Ctx ctx, CtAction ct, bool isLast)
    {
        var req = Request(ctx.Key, ct);
        // ct forks the pipeline: the tracked instance goes to table=N; the original continues untracked.
        var packet = isLast || ct.Table is null ? ctx.Packet : ctx.Packet.Clone();
        var key = ctx.Key;
        Counters.CtExecutions++;
        if (_remote is not null)
        {
            var local = _remote.TryDecide(ref packet, ref key, in req);
            ctx.PendingIsLast = isLast;
            if (local.Verdict == LocalVerdict.Decided)
            {
                AfterCt(ctx, ct, packet, key, local.Outcome);
                return;
            }
            ctx.PendingAction = ct;
            ctx.Pending = new CtCall(packet, key, req, ctx);
            PendingCt++;
            if (local.Verdict == LocalVerdict.DecidedPendingDurability) _remote.AwaitDurability(ctx.Pending, in local);
            else _remote.Submit(ctx.Pending);
            return;
        }
        if (_conntrack is null) { Drop(ctx, "ct_unavailable"); ctx.Stack.Clear(); return; }
        ctx.PendingIsLast = isLast;
        var outcome = _conntrack.Execute(ref packet, ref key, in req);
        AfterCt(ctx, ct, packet, key, outcome);
    }

    private void AfterCt(Ctx ctx, CtAction ct, Packet packet, in FlowKey key, CtOutcome outcome)
    {
        ctx.Trace?.Ct.Add(new PacketTrace.CtStep(key.CtState, key.CtZone, key.CtMark, key.CtLabel, outcome.Verdict.ToString()));
        if (outcome.Verdict == CtVerdict.Stolen) { ctx.Stolen = true; ctx.Stack.Clear(); Counters.CtStolen++; return; }
        if (outcome.Verdict == CtVerdict.Drop) { Drop(ctx, "ct:" + outcome.DropReason); ctx.Stack.Clear(); return; }
        if (ct.Table is byte t)
        {
            if (ctx.Recircs >= MaxRecirculations) { Drop(ctx, "recirculation_limit"); return; }
            ctx.Recirc.Enqueue((packet, key, t, ctx.Recircs + 1));
            if (ctx.PendingIsLast) ctx.Stack.Clear();
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
}
