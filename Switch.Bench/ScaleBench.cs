using System.Diagnostics;
using Akka.Actor;
using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;
using Switch.Node.Control;

namespace Switch.Bench;

/// <summary>
/// `scale`: flow replication and conntrack dumps at size, through a 3-member cluster in this process (real remoting on
/// 127.0.0.1), printed as one table with ratios against baselines measured in the same run.
/// <list type="bullet">
/// <item>Flows: one add-flows of N flows through member n1 (the flow manager's member), timed until the answer, which
/// comes once every member runs the change; baseline: the same change parsed and applied to one in-process table.
/// Bytes: what the change puts on the wire to the two other members (the serialized <see cref="FlowDelta"/> parts, as
/// remoting sends them), against what replicating the whole canonical table per change (the design before) sends.</item>
/// <item>Dump: N committed connections (UDP, an hour's timeout so none expires) dumped through n1 page by page;
/// baseline: the in-process engine dumping the same number.</item>
/// </list>
/// Options: --flows 1,1000,100000  --connections 1000000
/// </summary>
public static class ScaleBench
{
    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static string Opt(string[] args, string name, string dflt)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : dflt;
    }

    private static void Log(string s) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {s}");

    private static readonly CtTimeouts LongUdp = CtTimeouts.LinuxDefaults with { UdpUnreplied = TimeSpan.FromHours(1), UdpStream = TimeSpan.FromHours(1) };

    private static async Task<int> RunAsync(string[] args)
    {
        var sizes = Opt(args, "--flows", "1,1000,100000").Split(',').Select(int.Parse).ToArray();
        int conns = int.Parse(Opt(args, "--connections", "1000000"));
        var ct = new ConntrackSettings { MaxConnections = conns + 1000, Timeouts = LongUdp };
        int p1 = ClusterLoad.FreePort();
        var nodes = new List<ClusterNode> { ClusterLoad.StartNode("n1", p1, p1, ct: ct) };
        await ClusterLoad.WaitUpAsync(nodes[0], 1, TimeSpan.FromSeconds(60));
        for (int i = 2; i <= 3; i++) nodes.Add(ClusterLoad.StartNode($"n{i}", ClusterLoad.FreePort(), p1, ct: ct));
        foreach (var n in nodes) await ClusterLoad.WaitUpAsync(n, 3, TimeSpan.FromSeconds(60));
        await ClusterLoad.AddFlowsAsync(nodes[0]);
        var rows = new List<string[]>();
        try
        {
            int table = 10, total = 1;
            var mirror = new FlowTables(); // what the members run, to size the whole table as the design before sent it
            FlowSets.Execute(mirror, new FlowCommand(FlowCommandKind.Add, new[] { ClusterLoad.FlowLine }, false), 0);
            foreach (int n in sizes.Append(1))
            {
                bool onTop = rows.Count == sizes.Length; // the last row: one flow-mod on top of everything added
                var lines = Enumerable.Range(0, n).Select(i => $"table={table},priority=100,ip,nw_dst=172.{16 + (i >> 16)}.{(i >> 8) & 255}.{i & 255} actions=drop").ToArray();
                table++;
                var (inproc, _) = Time(() => FlowSets.Execute(new FlowTables(), new FlowCommand(FlowCommandKind.Add, lines, false), 0));
                var sw = Stopwatch.StartNew();
                var r = await FlowCommandClient.SendAsync(nodes[0].System, nodes[0].FlowManagerProxy, new FlowCommand(FlowCommandKind.Add, lines, false), TimeSpan.FromMinutes(5));
                double cluster = sw.Elapsed.TotalSeconds;
                if (r.Error is not null) throw new InvalidOperationException(r.Error);
                total += n;
                foreach (var node in nodes)
                {
                    var d = await node.Datapath.Ask<DumpFlowsReply>(new DumpFlows(null), TimeSpan.FromMinutes(2));
                    if (d.Lines.Length != total) throw new InvalidOperationException($"{node.Options.Name} runs {d.Lines.Length} flows, expected {total}");
                }
                var ser = nodes[0].System.Serialization;
                long delta = 2 * FlowSets.DeltaParts(r.Version, FlowCommandKind.Add, false, lines).Sum(p => (long)ser.FindSerializerFor(p).ToBinary(p).Length);
                FlowSets.Execute(mirror, new FlowCommand(FlowCommandKind.Add, lines, false), 0);
                var whole = new FlowSet(r.Version, FlowSets.Lines(mirror));
                long wholeBytes = 2 * (long)ser.FindSerializerFor(whole).ToBinary(whole).Length;
                rows.Add(new[]
                {
                    onTop ? $"1 more (on {total - 1:N0})" : $"{n:N0}", Ms(cluster), Ms(inproc), $"{cluster / inproc:0.0}x",
                    Kb(delta), Kb(wholeBytes), delta * 100 < wholeBytes ? $"1/{wholeBytes / Math.Max(1, delta):N0}" : $"{(double)delta / wholeBytes:0.00}",
                });
                Log($"flows {n}: {cluster:0.000} s");
            }

            // Dump: commit the connections through the members, then dump them through n1.
            Log($"committing {conns} connections");
            var msgs = ClusterLoad.LazyNew(7, conns, 1000).ToList();
            int sent = 0;
            foreach (var group in msgs.Chunk(Math.Max(1, msgs.Count / 3 + 1)))
            {
                var d = await ClusterLoad.DriveAsync(nodes[sent++ % 3].Datapath, group, 4, 0x01, TimeSpan.FromMinutes(2));
                if (d.Matching != d.Frames) throw new InvalidOperationException($"commit: {d.FirstMismatch}");
            }
            var control = new ClusterSwitchControl(nodes[0]);
            var sw2 = Stopwatch.StartNew();
            long count = 0;
            await foreach (var _ in control.StreamConntrackAsync(null)) count++;
            double dump = sw2.Elapsed.TotalSeconds;
            if (count != conns) throw new InvalidOperationException($"dump has {count} connections, expected {conns}");
            var engine = new ConntrackEngine(new Switch.Contracts.ManualClock(1_000_000), ct);
            var (pk, kk) = ClusterLoad.Prepare(ClusterLoad.NewFrames(7, Math.Min(conns, 200_000)));
            for (int i = 0; i < pk.Length; i++) engine.Execute(ref pk[i], ref kk[i], ClusterLoad.Commit);
            var (engineDump, lines2) = Time(() => engine.DumpConntrack().Count);
            double perEngine = engineDump / lines2 * conns;
            rows.Add(new[] { $"dump {conns:N0} conns", Ms(dump), Ms(perEngine), $"{dump / perEngine:0.0}x", "", "", "" });
        }
        finally
        {
            foreach (var n in nodes.AsEnumerable().Reverse()) await ClusterLoad.DisposeNodeAsync(n);
        }

        Console.WriteLine($"DistSwitch scale — 3 members in one process on 127.0.0.1, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine("cluster = add-flows answered (every member runs it) / dump streamed through n1; in-process = the same change on one table / the same dump from one engine (rate of 200 000 scaled)");
        Console.WriteLine("wire = bytes to the 2 other members: deltas (now) vs whole canonical table per change (before)");
        var head = new[] { "change", "cluster", "in-process", "ratio", "wire now", "wire before", "now/before" };
        var widths = head.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine("| " + string.Join(" | ", head.Select((h, i) => h.PadRight(widths[i]))) + " |");
        Console.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        foreach (var r in rows) Console.WriteLine("| " + string.Join(" | ", r.Select((c, i) => c.PadRight(widths[i]))) + " |");
        return 0;
    }

    private static (double Seconds, T Result) Time<T>(Func<T> f)
    {
        var sw = Stopwatch.StartNew();
        var r = f();
        return (sw.Elapsed.TotalSeconds, r);
    }

    private static string Ms(double s) => s >= 10 ? $"{s:0.0} s" : $"{s * 1000:0.0} ms";
    private static string Kb(long b) => b >= 1 << 20 ? $"{b / 1048576.0:0.0} MiB" : $"{b / 1024.0:0.0} KiB";
}
