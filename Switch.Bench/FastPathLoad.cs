using System.Diagnostics;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;

namespace Switch.Bench;

/// <summary>
/// `fast-path`: the cluster with connection leases (fastPath on) against the same cluster sending every packet to its
/// entity (fastPath off, the cluster issue's baseline) and against the in-process engine and datapath, in one run.
/// CPU per decision is the whole process's CPU time (every node, GC and remoting included) over the ct decisions.
/// Phases into a 3-node in-process cluster: new committed UDP connections into node 1; established packets of them
/// into node 1 (single-node: delegated when fastPath is on); asymmetric connections (replies into node 2, repeats
/// into node 1, together). Memory: bytes per established connection on a 1-node cluster. Options: --conns N
/// (default 20 000), --mem N (default 100 000), --mem-only N (only the memory figure, fast path on).
/// </summary>
public static partial class ClusterLoad
{
    public static int RunFastPath(string[] args) => FastPathAsync(args).GetAwaiter().GetResult();

    private sealed record PathResult(double NewPerSec, double NewCpuUs, double EstPerSec, double EstCpuUs, double AsymPerSec,
        double AsymCpuUs, long Local, long Decisions, double BytesPerConn, List<string> Notes);

    private static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;

    private static async Task<int> FastPathAsync(string[] args)
    {
        int conns = Opt(args, "--conns", 20_000), memN = Opt(args, "--mem", 100_000);
        var total = Stopwatch.StartNew();
        if (Opt(args, "--mem-only", 0) is int only and > 0)
        {
            // Memory alone, fast path on: e.g. --mem-only 1000000 for the 1 M-connection figure.
            var memNotes = new List<string>();
            double b = await MeasureMemoryAsync(true, only, memNotes);
            Console.WriteLine($"fast path on, 1 node, {N(only)} established UDP connections: {N(b)} bytes per connection (in-process engine: {N(EngineBytesPerConnection(5, Math.Min(only, 1_000_000)))})");
            foreach (var n in memNotes) Console.WriteLine("note: " + n);
            Console.WriteLine($"total wall time {total.Elapsed.TotalSeconds:F0} s");
            return 0;
        }
        Log("in-process baselines");
        EngineThroughput(1, 20_000); DatapathThroughput(1, 20_000);
        var eng = EngineThroughput(2, 200_000);
        var dp = DatapathThroughput(3, 200_000);
        Log("decision cost on one thread: in-process datapath vs delegated (leases)");
        DecisionCosts(6, 20_000);
        var (inCost, delCost) = DecisionCosts(7, 200_000);

        Log("cluster, fastPath off (one entity call per packet)");
        var off = await MeasurePathAsync(false, conns, memN);
        Log("cluster, fastPath on (leases)");
        var on = await MeasurePathAsync(true, conns, memN);

        string U(double us) => us.ToString(us < 10 ? "F2" : "F1", System.Globalization.CultureInfo.InvariantCulture) + " µs";
        var rows = new List<string[]>
        {
            new[] { "measure", "in-process", "cluster, fastPath off", "cluster, fastPath on", "on vs off", "on vs in-process" },
            new[] { "new committed connections/s", N(eng.NewPerSec), N(off.NewPerSec), N(on.NewPerSec), Ratio(on.NewPerSec, off.NewPerSec), Ratio(on.NewPerSec, eng.NewPerSec) },
            new[] { "CPU per new connection", U(1e6 / eng.NewPerSec), U(off.NewCpuUs), U(on.NewCpuUs), Ratio(on.NewCpuUs, off.NewCpuUs), Ratio(on.NewCpuUs, 1e6 / eng.NewPerSec) },
            new[] { "established (single node), decisions/s", N(eng.EstPerSec), N(off.EstPerSec), N(on.EstPerSec), Ratio(on.EstPerSec, off.EstPerSec), Ratio(on.EstPerSec, eng.EstPerSec) },
            new[] { "CPU per decision, established (engine)", U(1e6 / eng.EstPerSec), U(off.EstCpuUs), U(on.EstCpuUs), Ratio(on.EstCpuUs, off.EstCpuUs), Ratio(on.EstCpuUs, 1e6 / eng.EstPerSec) },
            new[] { "CPU per packet, established (datapath)", U(1e6 / dp.EstPerSec), U(off.EstCpuUs), U(on.EstCpuUs), Ratio(on.EstCpuUs, off.EstCpuUs), Ratio(on.EstCpuUs, 1e6 / dp.EstPerSec) },
            new[] { "one thread: CPU per packet, established (reply + repeat)", U(1e6 / inCost.EstPerSec), "-", U(1e6 / delCost.EstPerSec), "-", Ratio(1e6 / delCost.EstPerSec, 1e6 / inCost.EstPerSec) },
            new[] { "one thread: CPU per packet, steady (no state change)", U(1e6 / inCost.SteadyPerSec), "-", U(1e6 / delCost.SteadyPerSec), "-", Ratio(1e6 / delCost.SteadyPerSec, 1e6 / inCost.SteadyPerSec) },
            new[] { "asymmetric, decisions/s", "-", N(off.AsymPerSec), N(on.AsymPerSec), Ratio(on.AsymPerSec, off.AsymPerSec), "-" },
            new[] { "CPU per decision, asymmetric", "-", U(off.AsymCpuUs), U(on.AsymCpuUs), Ratio(on.AsymCpuUs, off.AsymCpuUs), Ratio(on.AsymCpuUs, 1e6 / dp.EstPerSec) },
            new[] { "decided locally (all phases)", "100%", $"{100.0 * off.Local / Math.Max(1, off.Decisions):F1}%", $"{100.0 * on.Local / Math.Max(1, on.Decisions):F1}%", "-", "-" },
            new[] { $"bytes per established connection (1 node, N = {N(memN)})", N(EngineBytesPerConnection(5, memN)), N(off.BytesPerConn), N(on.BytesPerConn), Ratio(on.BytesPerConn, off.BytesPerConn), "-" },
        };
        int[] w = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        string Line(string[] r) => "| " + string.Join(" | ", r.Select((s, c) => s.PadRight(w[c]))) + " |";
        Console.WriteLine();
        Console.WriteLine($"DistSwitch fast-path — {Environment.ProcessorCount} cores, .NET {Environment.Version}, flow \"{FlowLine}\", 3 in-process nodes");
        Console.WriteLine($"{N(conns)} new UDP connections into node 1, then reply + repeat of each into node 1 (established), then {N(conns)} asymmetric connections (new into node 1; replies into node 2 while repeats go into node 1)");
        Console.WriteLine("CPU = process CPU time (all nodes, GC, remoting) / decisions; in-process = one thread, keys pre-parsed (engine) or whole pipeline (datapath)");
        Console.WriteLine("one thread = a Datapath over the in-process engine vs the same Datapath over ClusterConntrack holding leases on 200 000 connections, no actors, same frames");
        Console.WriteLine("ratios: ×k = k times the right-hand figure; 1/k = a k-th of it");
        Console.WriteLine();
        Console.WriteLine(Line(rows[0]));
        Console.WriteLine("|" + string.Join("|", w.Select(x => new string('-', x + 2))) + "|");
        foreach (var r in rows.Skip(1)) Console.WriteLine(Line(r));
        Console.WriteLine();
        foreach (var n in off.Notes) Console.WriteLine("note (off): " + n);
        foreach (var n in on.Notes) Console.WriteLine("note (on): " + n);
        Console.WriteLine($"total wall time {total.Elapsed.TotalSeconds:F0} s");
        return 0;
    }

    private static async Task<PathResult> MeasurePathAsync(bool fastPath, int conns, int memN)
    {
        var notes = new List<string>();
        int seedPort = FreePort();
        var nodes = new List<ClusterNode> { StartNode("n1", seedPort, seedPort, fastPath) };
        double newPerSec, newCpu, estPerSec, estCpu, asymPerSec, asymCpu;
        long local = 0, decisions = 0;
        try
        {
            nodes.Add(StartNode("n2", FreePort(), seedPort, fastPath));
            nodes.Add(StartNode("n3", FreePort(), seedPort, fastPath));
            await WaitUpAsync(nodes[0], 3, TimeSpan.FromSeconds(60));
            var (n1, n2) = (nodes[0], nodes[1]);
            await AddFlowsAsync(n1);
            int b = fastPath ? 40 : 30;
            // Warm-up: every code path once.
            await DriveAsync(n1.Datapath, Chunk(NewFrames(b, 4000), PerMessage), InFlight, CtStateBits.New, AskTimeout);
            await DriveAsync(n1.Datapath, Chunk(EstablishedFrames(b, 4000), PerMessage), InFlight, CtStateBits.Established, AskTimeout);
            var i0 = await Totals(nodes);

            var c0 = Cpu();
            var rNew = await DriveAsync(n1.Datapath, Chunk(NewFrames(b + 1, conns), PerMessage), InFlight, CtStateBits.New, AskTimeout);
            var c1 = Cpu();
            var rEst = await DriveAsync(n1.Datapath, Chunk(EstablishedFrames(b + 1, conns), PerMessage), InFlight, CtStateBits.Established, AskTimeout);
            var c2 = Cpu();
            (newPerSec, newCpu) = (rNew.PerSec, (c1 - c0).TotalMicroseconds / rNew.Frames);
            (estPerSec, estCpu) = (rEst.PerSec, (c2 - c1).TotalMicroseconds / rEst.Frames);
            CheckDrive(notes, "new", rNew);
            CheckDrive(notes, "established", rEst);

            // Asymmetric: committed through node 1, then replies through node 2 and repeats through node 1 together.
            await DriveAsync(n1.Datapath, Chunk(NewFrames(b + 2, conns), PerMessage), InFlight, CtStateBits.New, AskTimeout);
            var replies = Enumerable.Range(0, conns).Select(i => Reply(b + 2, i)).ToArray();
            var repeats = Enumerable.Range(0, conns).Select(i => Forward(b + 2, i)).ToArray();
            var c3 = Cpu();
            var sw = Stopwatch.StartNew();
            var t1 = DriveAsync(n2.Datapath, Chunk(replies, PerMessage), InFlight, CtStateBits.Established, AskTimeout);
            var t2 = DriveAsync(n1.Datapath, Chunk(repeats, PerMessage), InFlight, CtStateBits.Established | CtStateBits.New, AskTimeout);
            var (ra, rb) = (await t1, await t2);
            var c4 = Cpu();
            asymPerSec = 2 * conns / sw.Elapsed.TotalSeconds;
            asymCpu = (c4 - c3).TotalMicroseconds / (2 * conns);
            CheckDrive(notes, "asymmetric replies", ra);
            CheckDrive(notes, "asymmetric repeats", rb);
            var i1 = await Totals(nodes);
            (local, decisions) = (i1.Local - i0.Local, i1.Queries - i0.Queries + i1.Local - i0.Local);
            notes.Add($"leases held at the end: {string.Join(", ", (await Task.WhenAll(nodes.Select(InfoAsync))).Select(i => $"{i.Name}={i.LeasesHeld}"))}; ct timeouts {i1.Timeouts - i0.Timeouts}");
        }
        finally
        {
            foreach (var n in Enumerable.Reverse(nodes)) await DisposeNodeAsync(n);
        }

        double bytes = await MeasureMemoryAsync(fastPath, memN, notes);
        return new PathResult(newPerSec, newCpu, estPerSec, estCpu, asymPerSec, asymCpu, local, decisions, bytes, notes);
    }

    /// <summary>Bytes per established connection on a 1-node cluster holding memN of them (committed, then a reply each).</summary>
    private static async Task<double> MeasureMemoryAsync(bool fastPath, int memN, List<string> notes)
    {
        double bytes;
        {
            int port = FreePort();
            // UDP timeouts of an hour: at 1 M connections the commits alone outlast the 30 s unreplied timeout.
            var ct = new Switch.Core.Conntrack.ConntrackSettings
            {
                Timeouts = Switch.Core.Conntrack.CtTimeouts.LinuxDefaults with { UdpUnreplied = TimeSpan.FromHours(1), UdpStream = TimeSpan.FromHours(1) },
            };
            var node = StartNode("m1", port, port, fastPath, ct);
            try
            {
                await WaitUpAsync(node, 1, TimeSpan.FromSeconds(30));
                await AddFlowsAsync(node);
                long before = GC.GetTotalMemory(forceFullCollection: true);
                await DriveAsync(node.Datapath, LazyNew(60, memN, PerMessage), InFlight, CtStateBits.New, AskTimeout);
                var r = await DriveAsync(node.Datapath, Enumerable.Range(0, (memN + PerMessage - 1) / PerMessage)
                    .Select(m => Enumerable.Range(m * PerMessage, Math.Min(PerMessage, memN - m * PerMessage)).Select(i => Reply(60, i)).ToArray()),
                    InFlight, CtStateBits.Established, AskTimeout);
                // Lent connections' entities passivate once idle (ConnectionEntity.ParkAfter): measure after that.
                if (fastPath)
                {
                    // Wait while passivation makes progress (a million stops take minutes on two cores), at most 10 min.
                    var settleSw = System.Diagnostics.Stopwatch.StartNew();
                    await Task.Delay(Switch.Actors.Cluster.EntityTimings.Default.ParkAfter);
                    var dirs = Switch.Actors.Cluster.ShardDirectory.Get(node.System);
                    int last = -1, parked;
                    var lastMoved = DateTime.UtcNow;
                    while ((parked = dirs.Counts().Parked) < memN && DateTime.UtcNow - lastMoved < TimeSpan.FromSeconds(15) && settleSw.Elapsed < TimeSpan.FromMinutes(10))
                    {
                        if (parked != last) { last = parked; lastMoved = DateTime.UtcNow; }
                        await Task.Delay(500);
                    }
                    notes.Add($"memory: parked state settled {settleSw.Elapsed.TotalSeconds:F0} s after the last reply; relays committed {Switch.Actors.Cluster.EntityCounters.Get(node.System).CommittedHere:N0} connections and applied {Switch.Actors.Cluster.EntityCounters.Get(node.System).ReportsHere:N0} reports in place, {Switch.Actors.Cluster.EntityCounters.Get(node.System).ConnectionsStarted:N0} connection entities ever started");
                    await Task.Delay(3000); // let the last stops and the shards' bookkeeping settle
                    var (_, running) = await LocalRegionAsync(node);
                    notes.Add($"memory: {Switch.Actors.Cluster.ShardDirectory.Get(node.System).Counts().Parked:N0} of {memN:N0} connections parked (born lent or passivated), {running.Count(e => e.StartsWith("c/", StringComparison.Ordinal)):N0} connection entities running when measured");
                }
                long after = Math.Min(GC.GetTotalMemory(forceFullCollection: true), GC.GetTotalMemory(forceFullCollection: true));
                bytes = (after - before) / (double)memN;
                CheckDrive(notes, "memory replies", r);
            }
            finally { await DisposeNodeAsync(node); }
        }
        return bytes;
    }

    private static void CheckDrive(List<string> notes, string what, DriveResult r)
    {
        if (r.Matching != r.Frames || r.Dropped > 0) notes.Add($"{what}: {r.Frames - r.Matching} of {r.Frames} frames without the expected ct_state, {r.Dropped} dropped; first: {r.FirstMismatch}");
    }

    private static async Task<(long Local, long Queries, long Timeouts)> Totals(List<ClusterNode> nodes)
    {
        var infos = await Task.WhenAll(nodes.Select(InfoAsync));
        return (infos.Sum(i => i.CtLocal), infos.Sum(i => i.CtQueries), infos.Sum(i => i.CtTimeouts));
    }
}
