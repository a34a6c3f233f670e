using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.DistributedData;
using Switch.Actors.Cluster;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;

namespace Switch.Bench;

/// <summary>
/// `ddata-compare`: the engine's replication (Akka.DistributedData) against the product's direct replication
/// (<see cref="ReplicaStore"/>), for the same records, on the same three in-process members, in one run.
/// <list type="bullet">
/// <item>Records: connection records as replicas keep them (<see cref="ConnSaved"/> with the whole image, TCP windows
/// included), 30 shards, N = 100 000 and 1 000 000 (or <c>--sizes</c>), in batches of 250 records, 8 batches in
/// flight, from one member.</item>
/// <item>Direct: <see cref="Replicate"/> to the member's store, answered by <see cref="Replicated"/> once the replica
/// (R = 2) applied the batch.</item>
/// <item>DistributedData: one <c>LWWDictionary&lt;string, byte[]&gt;</c> per shard; each batch one
/// <c>Update</c> with <c>WriteTo(2)</c> (the writer and one other member: R = 2), the value the record's Hyperion
/// bytes (serialized in the timed loop, as the direct path's batches are).</item>
/// </list>
/// Printed: records/s (and the ratio DistributedData ÷ direct), process CPU per record (all members in the process),
/// managed heap per record across the cluster after a full GC, failures. A run stops at <c>--cap</c> seconds (default
/// 120) and reports what it reached.
/// </summary>
public static class ReplicationCompare
{
    private const int Batch = 250, InFlight = 8, Shards = 30, Members = 3;

    private sealed record Result(string How, int N, int Done, double Seconds, double CpuUsPerRecord, double HeapPerRecord, int Failed, string? Note);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static string? Opt(string[] args, string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

    private static async Task<int> RunAsync(string[] args)
    {
        var sizes = (Opt(args, "--sizes") ?? "100000,1000000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var cap = TimeSpan.FromSeconds(double.Parse(Opt(args, "--cap") ?? "120", CultureInfo.InvariantCulture));
        var results = new List<(Result Direct, Result DData)>();
        foreach (var n in sizes)
        {
            var direct = await Measure(n, cap, ddata: false);
            var dd = await Measure(n, cap, ddata: true);
            results.Add((direct, dd));
        }
        Console.WriteLine($"DistSwitch ddata-compare — {Environment.ProcessorCount} cores, .NET {Environment.Version}, {Members} in-process members, R = 2, {Shards} shards, batches of {Batch}, {InFlight} in flight, cap {cap.TotalSeconds:F0} s");
        Console.WriteLine("| N records | direct records/s | DistributedData records/s | DData vs direct | CPU per record direct / DData | heap per record (cluster) direct / DData | DData reached | note |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (d, x) in results)
        {
            double dr = d.Done / d.Seconds, xr = x.Done / x.Seconds;
            Console.WriteLine($"| {d.N} | {dr:F0} | {xr:F0} | {xr / dr:F3}x | {d.CpuUsPerRecord:F1} / {x.CpuUsPerRecord:F1} µs | {d.HeapPerRecord:F0} / {x.HeapPerRecord:F0} B | "
                + $"{x.Done} of {x.N} in {x.Seconds:F1} s{(x.Failed > 0 ? $", {x.Failed} batches failed" : "")} | {string.Join("; ", new[] { d.Note, x.Note }.Where(s => s is not null))} |");
        }
        return 0;
    }

    private static ConnSaved Record(int i)
    {
        long now = Switch.Contracts.SystemClock.Instance.NowUs;
        var tracker = new ulong[ConnImage.TrackerWords];
        for (int k = 0; k < tracker.Length; k++) tracker[k] = (ulong)(i + 1) * 0x9E3779B97F4A7C15UL >> k;
        var img = ConnImage.Of(1, 6, false, ClusterLoad.Client(60, i), 0x0A80_0001, ClusterLoad.ClientPort(i), 80,
            true, 0x0e, 0, 3, 0, 0, now, now + 432_000_000_000, tracker);
        return new ConnSaved(img, Array.Empty<ExpectData>(), now);
    }

    private static async Task<Result> Measure(int n, TimeSpan cap, bool ddata)
    {
        string how = ddata ? "DistributedData" : "direct";
        Console.Error.WriteLine($"[ddata-compare] {how}, N = {n}");
        await using var cluster = await LocalCluster.StartAsync(Members, _ => new Switch.Core.Ports.IPort[] { new NullPort(1), new NullPort(2) },
            o => o with { Shards = Shards, Replicas = 2 }, formWithin: TimeSpan.FromSeconds(60));
        // The replicator starts on a member when something there asks for it: on every member, as a product would.
        foreach (var node in cluster.Nodes) DistributedData.Get(node.System);
        await Task.Delay(2000);
        var system = cluster.Nodes[0].System;
        var store = Replication.Get(system).Store!;
        var replicator = DistributedData.Get(system).Replicator;
        var self = Akka.Cluster.Cluster.Get(system).SelfUniqueAddress;
        var wire = new WireSerializer((ExtendedActorSystem)system);
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        long heap0 = GC.GetTotalMemory(true);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        // Each batch's outcome: null when written, else why not.
        var pending = new Queue<Task<string?>>();
        int done = 0, sent = 0, failed = 0;
        long token = 0;
        string? note = null;
        async Task Take()
        {
            if (await pending.Dequeue() is { } why) { failed++; note ??= why; }
            else done += Batch;
        }
        while (sent < n && sw.Elapsed < cap)
        {
            if (pending.Count >= InFlight) await Take();
            int b = sent / Batch, shard = b % Shards;
            var records = Enumerable.Range(sent, Math.Min(Batch, n - sent)).Select(i => (Key: $"c/{i}", Rec: Record(i))).ToList();
            sent += records.Count;
            if (!ddata)
            {
                var items = records.Select(r => new ReplicaItem(shard.ToString(CultureInfo.InvariantCulture), r.Key, r.Rec)).ToArray();
                long t = ++token;
                pending.Enqueue(store.Ask<Replicated>(new Replicate(shard.ToString(CultureInfo.InvariantCulture), items, t), TimeSpan.FromSeconds(60))
                    .ContinueWith(x => x.IsCompletedSuccessfully && x.Result.Token == t ? null : $"direct: {x.Exception?.GetBaseException().Message ?? "wrong token"}"));
            }
            else
            {
                var values = records.Select(r => (r.Key, Bytes: wire.ToBinary(r.Rec))).ToList();
                var key = new LWWDictionaryKey<string, byte[]>("ct-" + shard);
                pending.Enqueue(replicator.Ask<IUpdateResponse>(Dsl.Update(key, LWWDictionary<string, byte[]>.Empty, new WriteTo(2, TimeSpan.FromSeconds(60)),
                    d =>
                    {
                        foreach (var (k, v) in values) d = d.SetItem(self, k, v);
                        return d;
                    }), TimeSpan.FromSeconds(90)).ContinueWith(x =>
                        x.IsCompletedSuccessfully && x.Result.IsSuccessful ? null
                        : x.IsCompletedSuccessfully ? $"DistributedData answered {x.Result.GetType().Name}" : $"DistributedData: {x.Exception?.GetBaseException().Message}"));
            }
        }
        while (pending.Count > 0) await Take();
        double secs = sw.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        // Let DistributedData's gossip settle (it spreads every key to every member) before the heap is read.
        await Task.Delay(ddata ? 5000 : 1000);
        long heap1 = GC.GetTotalMemory(true);
        if (sent < n) note = $"{how}: stopped at the {cap.TotalSeconds:F0} s cap";
        return new Result(how, n, done, secs, cpu.TotalMilliseconds * 1000 / Math.Max(1, done), (heap1 - heap0) / (double)Math.Max(1, done), failed, note);
    }
}
