using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Switch.Actors.Cluster;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;

namespace Switch.Bench;

/// <summary>
/// `replicas`: what replication costs, in one run, one table. For R = 1, 2, 3: a three-member in-process cluster
/// (real ClusterNodes over TLS remoting on loopback) with <c>cluster.replicas</c> = R; new UDP tuples, every one a
/// committed connection, into one member's datapath (InjectFrames of 250 frames, 4 in flight) for a fixed time.
/// Printed: committed connections/s and its ratio to R = 1 measured in the same run, process CPU per commit (all three
/// members share the process: the CPU is the whole cluster's), managed heap per connection across the cluster (after a
/// full GC; owner, replicas and every copy), and the replica records kept. Then R = 2 with the journal written behind
/// the replicas (SQLite; PostgreSQL on a private server, fsync on, when installed): commits/s as answered, and the
/// journal's side — rows written, transactions, how long after the load it took until every commit was in the table,
/// and journaled commits/s (commits ÷ (load time + that drain)). Options: --seconds N (default 10).
/// </summary>
public static class ReplicaLoad
{
    private const int Members = 3;

    private sealed record Row(int Replicas, double PerSec, int Committed, double CpuUsPerCommit, double BytesPerConn, int ReplicaRecords, string? Problem,
        string Journal = "none", long Rows = 0, long Transactions = 0, double DrainSeconds = 0, double JournaledPerSec = 0);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        int i = Array.IndexOf(args, "--seconds");
        var seconds = TimeSpan.FromSeconds(i >= 0 ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : 10);
        var rows = new List<Row>();
        for (int r = 1; r <= 3; r++) rows.Add(await Measure(r, seconds, phase: 40 + r));
        var dir = Directory.CreateTempSubdirectory("dswitch-rbench-").FullName;
        try
        {
            rows.Add(await Measure(2, seconds, phase: 47, new PersistenceOptions(PersistenceOptions.Sqlite, $"Data Source={Path.Combine(dir, "journal.db")}")));
            using var pg = Switch.Testing.PrivatePostgres.TryStart(fsync: true);
            if (pg is not null) rows.Add(await Measure(2, seconds, phase: 48, new PersistenceOptions(PersistenceOptions.Postgres, pg.ConnectionString)));
            else Console.WriteLine("(PostgreSQL row skipped: no initdb/pg_ctl under /usr/lib/postgresql/*/bin)");
        }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
        Console.WriteLine($"DistSwitch replicas — {Environment.ProcessorCount} cores, .NET {Environment.Version}, {Members} in-process members, flow \"{ClusterLoad.FlowLine}\", {seconds.TotalSeconds:F0} s per row");
        Console.WriteLine("| replicas (R) | journal | committed conns/s | vs R = 1 | CPU per commit (whole cluster) | heap per connection (cluster) | replica records | journal rows / transactions | drain after load | journaled commits/s | note |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        double baseline = rows[0].PerSec;
        foreach (var row in rows)
            Console.WriteLine($"| {row.Replicas} | {row.Journal} | {row.PerSec:F0} | {row.PerSec / baseline:F2}x | {row.CpuUsPerCommit:F1} µs | {row.BytesPerConn:F0} B | {row.ReplicaRecords} | "
                + (row.Journal == "none" ? "- | - | - |" : $"{row.Rows} / {row.Transactions} | {row.DrainSeconds:F2} s | {row.JournaledPerSec:F0} |") + $" {row.Problem ?? ""} |");
        return 0;
    }

    private static async Task<Row> Measure(int replicas, TimeSpan duration, int phase, PersistenceOptions? journal = null)
    {
        await using var cluster = await LocalCluster.StartAsync(Members, _ => new Switch.Core.Ports.IPort[] { new NullPort(1), new NullPort(2) },
            o => o with { Shards = ClusterLoad.Shards, Replicas = replicas, Persistence = journal }, formWithin: TimeSpan.FromSeconds(60));
        await ClusterLoad.AddFlowsAsync(cluster.Nodes[0]);
        await Task.Delay(2000);
        var dp = cluster.Nodes[0].Datapath;
        // Warm-up: every shard started and loaded.
        await JournalLoad.DriveForAsync(dp, phase + 100, TimeSpan.FromSeconds(3), 5000);
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        long heap0 = GC.GetTotalMemory(true);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var stats = cluster.Nodes.Select(n => Replication.Get(n.System).Stats).ToList();
        long rows0 = stats.Sum(x => x.JournalRows), tx0 = stats.Sum(x => x.JournalWrites);
        var (sent, committed, _, secs, first) = await JournalLoad.DriveForAsync(dp, phase, duration, 1 << 21);
        var drain = Stopwatch.StartNew();
        if (journal is not null)
            foreach (var n in cluster.Nodes)
                await Replication.Get(n.System).Store!.Ask<JournalFlushed>(FlushJournal.Instance, TimeSpan.FromMinutes(5));
        double drainSecs = drain.Elapsed.TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        await Task.Delay(1000);
        long heap1 = GC.GetTotalMemory(true);
        int records = 0;
        foreach (var n in cluster.Nodes)
            if (Replication.Get(n.System).Store is { } store)
                records += (await store.Ask<ReplicationStatus>(GetReplicationStatus.Instance, TimeSpan.FromSeconds(30))).ReplicaRecords;
        return new Row(replicas, committed / secs, committed, cpu.TotalMilliseconds * 1000 / Math.Max(1, committed),
            (heap1 - heap0) / (double)Math.Max(1, committed), records, sent > committed ? $"{sent - committed} of {sent} not committed (first: {first})" : null,
            journal is null ? "none" : journal.Provider == PersistenceOptions.Sqlite ? "SQLite" : "PostgreSQL (fsync on)",
            stats.Sum(x => x.JournalRows) - rows0, stats.Sum(x => x.JournalWrites) - tx0, drainSecs, committed / (secs + drainSecs));
    }
}
