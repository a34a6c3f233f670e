using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;

namespace Switch.Node.Tracing;

/// <summary>Packet traces in the spirit of `ovs-appctl ofproto/trace`: what `dswitch trace` prints and the control API's
/// /trace answers (both controls), so no folder needs another's command code.</summary>
public static class PacketTracer
{
    /// <summary>
    /// The trace text for the packet <paramref name="packet"/> describes, through a fresh datapath holding
    /// <paramref name="flows"/> (which it takes over: their counters move) and a fresh conntrack, so tracing
    /// never changes a live switch. Shared by `dswitch trace` and the control API's /trace.
    /// </summary>
    public static string Trace(IReadOnlyList<Flow> flows, Match packet)
    {
        var output = new StringWriter();
        var frame = TraceFrame.Build(packet);
        var clock = new ManualClock(SystemClock.Instance.NowUs);
        var dp = new Datapath(new ConntrackEngine(clock), clock);
        foreach (var f in flows) dp.AddFlow(f);
        foreach (var p in OfPorts.OutputPorts(flows).Append(packet.Value.InPort))
            if (!dp.Ports.ContainsKey(p)) dp.AddPort(new InMemoryPort(p, p.ToString()));
        var trace = new PacketTrace();
        var pkt = Packet.From(frame, packet.Value.InPort);
        var key = new FlowKey();
        PacketParser.Parse(pkt.Span, pkt.InPort, ref key);
        output.WriteLine($"Flow: {DescribeKey(key)}");
        dp.Receive(pkt, trace);
        Print(trace, output);
        return output.ToString();
    }

    public static void Print(PacketTrace trace, TextWriter output)
    {
        int ct = 0;
        foreach (var s in trace.Tables)
        {
            string indent = new(' ', 4 * s.Depth);
            output.WriteLine();
            if (s.Recirculated)
            {
                var c = trace.Ct[Math.Min(ct++, trace.Ct.Count - 1)];
                output.WriteLine($"{indent}recirculate: ct_state={CtStateBits.Format(c.State)},ct_zone={c.Zone},ct_mark=0x{c.Mark:x}");
            }
            output.WriteLine($"{indent}{s.Table}. {(s.Flow is null ? "No match (table miss): drop" : $"{s.Flow.FormatMatch()}, priority {s.Flow.Priority}, cookie 0x{s.Flow.Cookie:x}")}");
            if (s.Flow is not null) output.WriteLine($"{indent}    {s.Flow.FormatActions()}");
        }
        output.WriteLine();
        output.WriteLine(trace.Outputs.Count == 0
            ? $"Datapath actions: drop{(trace.DropReason is null ? "" : " (" + trace.DropReason + ")")}"
            : $"Datapath actions: {string.Join(",", trace.Outputs.Select(o => "output:" + OfPorts.Name(o)))}");
    }

    private static string DescribeKey(in FlowKey k)
    {
        var m = new Match { Value = k };
        foreach (var f in new[] { Fields.InPort, Fields.DlSrc, Fields.DlDst, Fields.DlType })
            f.SetMasked(ref m.Value, ref m.Mask, f.Get(k), f.AllOnes);
        if (k.IsIp)
        {
            foreach (var f in k.IsIpv4 ? new[] { Fields.NwSrc, Fields.NwDst } : new[] { Fields.Ipv6Src, Fields.Ipv6Dst })
                f.SetMasked(ref m.Value, ref m.Mask, f.Get(k), f.AllOnes);
            foreach (var f in new[] { Fields.NwProto, Fields.NwTtl })
                f.SetMasked(ref m.Value, ref m.Mask, f.Get(k), f.AllOnes);
            if (k.NwProto is IpProtos.Tcp or IpProtos.Udp or IpProtos.Icmp or IpProtos.Icmpv6)
                foreach (var f in new[] { Fields.TpSrc, Fields.TpDst })
                    f.SetMasked(ref m.Value, ref m.Mask, f.Get(k), f.AllOnes);
            if (k.NwProto == IpProtos.Tcp) Fields.TcpFlags.SetMasked(ref m.Value, ref m.Mask, k.TcpFlags, Fields.TcpFlags.AllOnes);
        }
        return new Flow { Match = m }.FormatMatch();
    }
}
