using System.Diagnostics;
using System.Globalization;
using Switch.Actors.Cluster;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;

namespace Switch.Bench;

/// <summary>
/// `cluster-load`: conntrack decisions through the cluster against the in-process engine, printed as one table.
/// Flow on every node: <see cref="FlowLine"/> (every IP packet is committed in zone 1). Traffic: distinct UDP
/// tuples (new connections), then the reply of each and a repeat of each (established). Cluster traffic enters
/// node 1 as InjectFrames messages of 1 000 frames with 4 in flight. Options: --conns N (cluster tuples per
/// phase, default 20 000), --engine-conns N (default 200 000), --mem N (default 100 000), --mem-max N (try this
/// many when the first memory run shows it fits, default 1 000 000), --in-process (3 nodes in this process).
/// </summary>
public static partial class ClusterLoad
{
    private const int PerMessage = 1000, InFlight = 4, LatencySamples = 2000, LatencyWarmup = 200;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(120);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static int Opt(string[] args, string name, int dflt)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : dflt;
    }

    private static void Log(string s) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {s}");

    private static async Task<int> RunAsync(string[] args)
    {
        int conns = Opt(args, "--conns", 20_000), engineConns = Opt(args, "--engine-conns", 200_000);
        int memN = Opt(args, "--mem", 100_000), memMax = Opt(args, "--mem-max", 1_000_000);
        bool forceInProcess = args.Contains("--in-process");
        var total = Stopwatch.StartNew();
        var notes = new List<string>();

        // 1. In-process baselines.
        Log("in-process baselines");
        EngineThroughput(1, 20_000); DatapathThroughput(1, 20_000); // JIT warm-up
        var eng = EngineThroughput(2, engineConns);
        var dp = DatapathThroughput(3, engineConns);
        var engLat = EngineLatency(4, 10_000, LatencySamples);
        if (eng.NewOk != eng.N || eng.EstOk != 2 * eng.N) notes.Add($"engine: {eng.N - eng.NewOk} new not +new, {2 * eng.N - eng.EstOk} established not +est");
        if (dp.Output != 3L * engineConns) notes.Add($"datapath: {dp.Output} outputs for {3 * engineConns} packets");

        // 2. One-node cluster: throughput, batching, then memory.
        Log("1-node cluster");
        DriveResult n1New, n1Est; NodeInfo n1NewInfo, n1EstInfo;
        int memDone; double clusterBytes, memSeconds;
        {
            int seedPort = FreePort();
            var node = StartNode("n1", seedPort, seedPort);
            try
            {
                await WaitUpAsync(node, 1, TimeSpan.FromSeconds(30));
                await AddFlowsAsync(node);
                await DriveAsync(node.Datapath, Chunk(NewFrames(10, 4000), PerMessage), InFlight, CtStateBits.New, AskTimeout);
                await DriveAsync(node.Datapath, Chunk(EstablishedFrames(10, 4000), PerMessage), InFlight, CtStateBits.Established, AskTimeout);
                (n1New, n1NewInfo, n1Est, n1EstInfo) = await MeasureAsync(node, 11, conns);
                Check(notes, "1-node", n1New, n1Est, n1NewInfo, n1EstInfo);

                Log($"1-node memory, N = {memN}");
                long before = GC.GetTotalMemory(forceFullCollection: true);
                var sw = Stopwatch.StartNew();
                var m = await DriveAsync(node.Datapath, LazyNew(12, memN, PerMessage), InFlight, CtStateBits.New, AskTimeout);
                memSeconds = sw.Elapsed.TotalSeconds;
                long after = GC.GetTotalMemory(forceFullCollection: true);
                memDone = memN;
                clusterBytes = (after - before) / (double)memN;
                if (m.Matching != memN) notes.Add($"1-node memory run: {memN - m.Matching} of {memN} frames not +new ({m.Dropped} dropped)");
                double projectedGb = clusterBytes * memMax / 1e9, projectedS = memSeconds * memMax / memN;
                Log($"  {clusterBytes:F0} B/conn, {memSeconds:F1} s; {memMax}: ~{projectedGb:F1} GB, ~{projectedS:F0} s");
                if (memMax > memN && projectedGb < 4 && projectedS < 120 && total.Elapsed.TotalSeconds + projectedS < 240)
                {
                    var more = await DriveAsync(node.Datapath, LazyNew(13, memMax - memN, PerMessage), InFlight, CtStateBits.New, AskTimeout);
                    after = GC.GetTotalMemory(forceFullCollection: true);
                    memDone = memMax;
                    clusterBytes = (after - before) / (double)memMax;
                    if (more.Matching != memMax - memN) notes.Add($"1-node memory run ({memMax}): {memMax - memN - more.Matching} frames not +new");
                }
                else notes.Add($"memory: N = {memN:N0} only ({memMax:N0} projected at ~{projectedGb:F1} GB and ~{projectedS:F0} s of commits, over the limits of 4 GB / 120 s)");
                var (_, ents) = await LocalRegionAsync(node);
                int held = ents.Count(e => e.StartsWith("c/", StringComparison.Ordinal));
                notes.Add($"1-node memory run: region held {held:N0} connection entities after committing {memDone:N0} (+{4000 + conns:N0} from earlier phases); commits ran at {memN / memSeconds:N0}/s");
            }
            finally { await DisposeNodeAsync(node); }
        }
        Log($"engine memory, N = {memDone}");
        double engineBytes = EngineBytesPerConnection(5, memDone);

        // 3 + 4. Three-node cluster: throughput, remote share, latency.
        Log("3-node cluster");
        DriveResult n3New, n3Est; NodeInfo n3NewInfo, n3EstInfo;
        string mode;
        double remoteShare; string remoteHow;
        (double P50Us, double P99Us, int Est) latLocal, latRemote;
        {
            int seedPort = FreePort();
            var nodes = new List<ClusterNode> { StartNode("n1", seedPort, seedPort) };
            var children = new List<ChildNode>();
            var dir = Directory.CreateTempSubdirectory("dswitch-cbench-").FullName;
            try
            {
                mode = "3 processes (node 1 in the bench, n2 and n3 `dswitch run`)";
                try
                {
                    if (forceInProcess) throw new InvalidOperationException("--in-process given");
                    children.Add(new ChildNode("n2", FreePort(), seedPort, dir));
                    children.Add(new ChildNode("n3", FreePort(), seedPort, dir));
                    foreach (var c in children) Log("  " + await c.ReadyAsync(TimeSpan.FromSeconds(90)));
                    await WaitUpAsync(nodes[0], 3, TimeSpan.FromSeconds(30));
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    string why = e.Message + (children.Count > 0 ? " / " + string.Join(" / ", children.Select(c => c.Tail())) : "");
                    foreach (var c in children) c.Dispose();
                    children.Clear();
                    Log("  real processes failed, falling back to in-process nodes: " + why);
                    notes.Add("3-node: FELL BACK to 3 in-process nodes: " + why);
                    mode = "3 in-process nodes (fallback)";
                    nodes.Add(StartNode("n2", FreePort(), seedPort));
                    nodes.Add(StartNode("n3", FreePort(), seedPort));
                    await WaitUpAsync(nodes[0], 3, TimeSpan.FromSeconds(60));
                }
                var n1 = nodes[0];
                await AddFlowsAsync(n1);
                await DriveAsync(n1.Datapath, Chunk(NewFrames(20, 4000), PerMessage), InFlight, CtStateBits.New, AskTimeout);
                await DriveAsync(n1.Datapath, Chunk(EstablishedFrames(20, 4000), PerMessage), InFlight, CtStateBits.Established, AskTimeout);
                (n3New, n3NewInfo, n3Est, n3EstInfo) = await MeasureAsync(n1, 21, conns);
                Check(notes, "3-node", n3New, n3Est, n3NewInfo, n3EstInfo);

                var (localShards, localEntities) = await LocalRegionAsync(n1);
                var perMember = await ConnectionEntitiesAsync(n1, TimeSpan.FromSeconds(15));
                var created = Enumerable.Range(0, 4000).Select(i => EntityOf(20, i)).Concat(Enumerable.Range(0, conns).Select(i => EntityOf(21, i))).ToList();
                int computedRemote = created.Count(e => !localShards.Contains(CtRouting.ShardId(e, Shards)));
                if (perMember.All(x => x.Connections is not null))
                {
                    int all = perMember.Sum(x => x.Connections!.Value);
                    int onN1 = perMember.Single(x => x.Member.Equals(n1.Cluster.SelfAddress)).Connections!.Value;
                    remoteShare = (all - onN1) / (double)all;
                    remoteHow = $"region states: {string.Join(", ", perMember.Select(x => $"{x.Member.Port}={x.Connections}"))}";
                }
                else
                {
                    remoteShare = computedRemote / (double)created.Count;
                    remoteHow = $"remote region states unanswered ({string.Join(", ", perMember.Select(x => $"{x.Member.Port}={x.Connections?.ToString() ?? "no answer"}"))}); share from node 1's shards ({localShards.Count} of {Shards})";
                }
                notes.Add($"3-node remote hops: {remoteHow}; by node 1's shard map {computedRemote:N0} of {created.Count:N0} created connections are remote; node 1 holds {localEntities.Count(e => e.StartsWith("c/", StringComparison.Ordinal)):N0} connection entities");

                Log("3-node latency");
                var local = Enumerable.Range(0, conns).Where(i => localShards.Contains(CtRouting.ShardId(EntityOf(21, i), Shards))).Take(50).Select(i => Forward(21, i)).ToList();
                var remote = Enumerable.Range(0, conns).Where(i => !localShards.Contains(CtRouting.ShardId(EntityOf(21, i), Shards))).Take(50).Select(i => Forward(21, i)).ToList();
                latLocal = await RoundTripLatencyAsync(n1.Datapath, local, LatencyWarmup, LatencySamples, TimeSpan.FromSeconds(10));
                latRemote = await RoundTripLatencyAsync(n1.Datapath, remote, LatencyWarmup, LatencySamples, TimeSpan.FromSeconds(10));
                if (latLocal.Est != LatencySamples || latRemote.Est != LatencySamples)
                    notes.Add($"latency: {LatencySamples - latLocal.Est} local / {LatencySamples - latRemote.Est} remote samples not +est");
            }
            finally
            {
                // Node 1 leaves first (its shards hand off while the others still run), then the children are killed.
                try { foreach (var n in Enumerable.Reverse(nodes)) await DisposeNodeAsync(n); }
                finally { foreach (var c in children) c.Dispose(); }
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
        }

        PrintTable(eng, dp, engLat, n1New, n1Est, n1NewInfo, n1EstInfo, n3New, n3Est, n3NewInfo, n3EstInfo, remoteShare,
            latLocal, latRemote, memDone, engineBytes, clusterBytes, conns, mode, total.Elapsed, notes);
        return 0;
    }

    /// <summary>New connections then established packets of one phase into node 1, with node 1's NodeInfo deltas.</summary>
    private static async Task<(DriveResult, NodeInfo, DriveResult, NodeInfo)> MeasureAsync(ClusterNode node, int phase, int n)
    {
        var newMsgs = Chunk(NewFrames(phase, n), PerMessage).ToList();
        var estMsgs = Chunk(EstablishedFrames(phase, n), PerMessage).ToList();
        var i0 = await InfoAsync(node);
        var rNew = await DriveAsync(node.Datapath, newMsgs, InFlight, CtStateBits.New, AskTimeout);
        var i1 = await InfoAsync(node);
        var rEst = await DriveAsync(node.Datapath, estMsgs, InFlight, CtStateBits.Established, AskTimeout);
        var i2 = await InfoAsync(node);
        Log($"  new {rNew.PerSec:N0}/s, established {rEst.PerSec:N0}/s");
        return (rNew, Delta(i0, i1), rEst, Delta(i1, i2));
    }

    private static NodeInfo Delta(NodeInfo a, NodeInfo b) => new(b.Name, b.ApiUrl, b.CtQueries - a.CtQueries, b.CtBatches - a.CtBatches,
        b.CtBatchedQueries - a.CtBatchedQueries, b.CtTimeouts - a.CtTimeouts, b.CtRefused - a.CtRefused, b.CtPending);

    private static void Check(List<string> notes, string who, DriveResult rNew, DriveResult rEst, NodeInfo iNew, NodeInfo iEst)
    {
        if (rNew.Matching != rNew.Frames || rEst.Matching != rEst.Frames || rNew.Dropped + rEst.Dropped > 0)
            notes.Add($"{who}: {rNew.Frames - rNew.Matching} new frames not +new, {rEst.Frames - rEst.Matching} established not +est, {rNew.Dropped + rEst.Dropped} dropped; first: {rNew.FirstMismatch ?? rEst.FirstMismatch}");
        if (iNew.CtTimeouts + iEst.CtTimeouts + iNew.CtRefused + iEst.CtRefused > 0)
            notes.Add($"{who}: ct timeouts {iNew.CtTimeouts + iEst.CtTimeouts}, refused {iNew.CtRefused + iEst.CtRefused}");
        if (iNew.CtQueries != rNew.Frames || iEst.CtQueries != rEst.Frames)
            notes.Add($"{who}: ct queries {iNew.CtQueries}/{iEst.CtQueries} for {rNew.Frames}/{rEst.Frames} frames");
    }

    private static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
    private static string Us(double v) => v < 10 ? v.ToString("F2", CultureInfo.InvariantCulture) + " µs" : v.ToString("N0", CultureInfo.InvariantCulture) + " µs";

    private static string Ratio(double cluster, double baseline, bool higherIsBetter = true)
    {
        double r = cluster / baseline;
        string x = r >= 1 ? $"×{r.ToString(r >= 100 ? "N0" : "F1", CultureInfo.InvariantCulture)}" : $"1/{(1 / r).ToString(1 / r >= 100 ? "N0" : "F1", CultureInfo.InvariantCulture)}";
        return x;
    }

    private static string Batching(NodeInfo i) =>
        i.CtBatches == 0 ? "no batches" :
        $"{(double)i.CtBatchedQueries / i.CtBatches:F1} q/batch, {100.0 * i.CtBatchedQueries / Math.Max(1, i.CtQueries):F0}% batched, {(double)i.CtQueries / (i.CtBatches + i.CtQueries - i.CtBatchedQueries):F1} q/msg";

    private static void PrintTable(EngineResult eng, DatapathResult dp, (double P50Us, double P99Us) engLat,
        DriveResult n1New, DriveResult n1Est, NodeInfo n1NewInfo, NodeInfo n1EstInfo,
        DriveResult n3New, DriveResult n3Est, NodeInfo n3NewInfo, NodeInfo n3EstInfo, double remoteShare,
        (double P50Us, double P99Us, int Est) latLocal, (double P50Us, double P99Us, int Est) latRemote,
        int memN, double engineBytes, double clusterBytes, int conns, string mode, TimeSpan elapsed, List<string> notes)
    {
        var rows = new List<string[]>
        {
            new[] { "measure", "in-process", "1-node cluster", "3-node cluster", "ratio vs in-process" },
            new[] { "new connections, ct decisions/s (vs engine)", N(eng.NewPerSec), N(n1New.PerSec), N(n3New.PerSec),
                $"1n {Ratio(n1New.PerSec, eng.NewPerSec)}, 3n {Ratio(n3New.PerSec, eng.NewPerSec)}" },
            new[] { "new connections, packets/s (vs Datapath)", N(dp.NewPerSec), N(n1New.PerSec), N(n3New.PerSec),
                $"1n {Ratio(n1New.PerSec, dp.NewPerSec)}, 3n {Ratio(n3New.PerSec, dp.NewPerSec)}" },
            new[] { "established, ct decisions/s (vs engine)", N(eng.EstPerSec), N(n1Est.PerSec), N(n3Est.PerSec),
                $"1n {Ratio(n1Est.PerSec, eng.EstPerSec)}, 3n {Ratio(n3Est.PerSec, eng.EstPerSec)}" },
            new[] { "established, packets/s (vs Datapath)", N(dp.EstPerSec), N(n1Est.PerSec), N(n3Est.PerSec),
                $"1n {Ratio(n1Est.PerSec, dp.EstPerSec)}, 3n {Ratio(n3Est.PerSec, dp.EstPerSec)}" },
            new[] { "batching, new (node 1 NodeInfo)", "-", Batching(n1NewInfo), Batching(n3NewInfo), "-" },
            new[] { "batching, established (node 1 NodeInfo)", "-", Batching(n1EstInfo), Batching(n3EstInfo), "-" },
            new[] { "remote hops (conn entities not on node 1)", "0%", "0%", $"{remoteShare * 100:F1}%", "-" },
            new[] { "ct latency p50, entity local to node 1", Us(engLat.P50Us), "-", Us(latLocal.P50Us), Ratio(latLocal.P50Us, engLat.P50Us) },
            new[] { "ct latency p99, entity local to node 1", Us(engLat.P99Us), "-", Us(latLocal.P99Us), Ratio(latLocal.P99Us, engLat.P99Us) },
            new[] { "ct latency p50, entity remote", Us(engLat.P50Us), "-", Us(latRemote.P50Us), Ratio(latRemote.P50Us, engLat.P50Us) },
            new[] { "ct latency p99, entity remote", Us(engLat.P99Us), "-", Us(latRemote.P99Us), Ratio(latRemote.P99Us, engLat.P99Us) },
            new[] { $"bytes per tracked connection (N = {N(memN)})", N(engineBytes), N(clusterBytes), "-", Ratio(clusterBytes, engineBytes) },
        };
        int[] w = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
        string Line(string[] r) => "| " + string.Join(" | ", r.Select((s, c) => s.PadRight(w[c]))) + " |";
        Console.WriteLine();
        Console.WriteLine($"DistSwitch cluster-load — {Environment.ProcessorCount} cores, .NET {Environment.Version}, flow \"{FlowLine}\"");
        Console.WriteLine($"in-process: ConntrackEngine single thread ({N(eng.N)} UDP tuples, keys pre-parsed) and a plain Datapath (parse+classify+ct+output)");
        Console.WriteLine($"cluster: {N(conns)} new UDP tuples then {N(2 * conns)} established (reply + repeat) into node 1, InjectFrames of {PerMessage} frames, {InFlight} in flight; 3-node = {mode}");
        Console.WriteLine($"latency: {LatencySamples} samples after {LatencyWarmup} warm-up; cluster = single-frame InjectFrames ask round trip, in-process = one Execute");
        Console.WriteLine();
        Console.WriteLine(Line(rows[0]));
        Console.WriteLine("|" + string.Join("|", w.Select(x => new string('-', x + 2))) + "|");
        foreach (var r in rows.Skip(1)) Console.WriteLine(Line(r));
        Console.WriteLine();
        Console.WriteLine("q/batch = queries per CtQueryBatch; % batched = queries that travelled in a batch; q/msg = queries per region message (batches + lone queries)");
        foreach (var n in notes) Console.WriteLine("note: " + n);
        Console.WriteLine($"total wall time {elapsed.TotalSeconds:F0} s");
    }
}
