using Switch.Testing;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Persistence;
using Switch.Actors.Cluster;
using Switch.Core.Ports;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;

namespace Switch.Bench;

/// <summary>
/// `journal-load`: what durable conntrack costs, in one run, printed as one table.
/// <list type="number">
/// <item>Durability cost: new committed connections/s through a one-node cluster (a real <see cref="ClusterNode"/>: the
/// datapath actor, ClusterConntrack batching, sharded connection entities, remember-entities, and the persistence HOCON
/// `dswitch run` uses) with persistence off, on SQLite and on PostgreSQL; each against the persistence-off baseline.
/// Traffic: distinct UDP tuples (every one a new connection, committed by <see cref="ClusterLoad.FlowLine"/>), as
/// InjectFrames of <see cref="PerMessage"/> frames with <see cref="InFlight"/> in flight, for a fixed time.</item>
/// <item>Journal events/s sustained: <see cref="Writers"/> persistent actors in the same node's ActorSystem, each
/// journaling <see cref="ConnSaved"/> events (the connection entity's event, JSON-serialized as in production) one
/// after the other as an entity does, for a fixed time.</item>
/// </list>
/// Options: --seconds N (each measured phase, default 15), --pg CONNSTRING (an existing server instead of a private one),
/// --pg-fsync off (private server without fsync, as the failover tests run it), --writers N (default 256).
/// </summary>
public static class JournalLoad
{
    private const int PerMessage = 250, InFlight = 4, WarmupConns = 2000;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(120);

    private static void Log(string s) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {s}");

    private static string? Opt(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed record CommitResult(string Store, double ConnsPerSec, int Committed, int Sent, double Seconds, long Events,
        double JournalMeanMs, double JournalMaxMs, string? Problem);

    private sealed record JournalResult(string Store, double EventsPerSec, long Events, double Seconds, double P50Ms, double P99Ms);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        var seconds = TimeSpan.FromSeconds(double.Parse(Opt(args, "--seconds") ?? "15", CultureInfo.InvariantCulture));
        int writers = int.Parse(Opt(args, "--writers") ?? "256", CultureInfo.InvariantCulture);
        bool fsync = Opt(args, "--pg-fsync") != "off";
        var total = Stopwatch.StartNew();
        var notes = new List<string>();
        var dir = Directory.CreateTempSubdirectory("dswitch-jbench-").FullName;
        PrivatePostgres? pg = null;
        var commits = new List<CommitResult>();
        var journals = new List<JournalResult>();
        try
        {
            string? pgCs = Opt(args, "--pg");
            string pgHow;
            if (pgCs is not null) pgHow = "the server given with --pg";
            else
            {
                Log("starting a private PostgreSQL");
                try
                {
                    pg = PrivatePostgres.TryStart(fsync);
                    pgCs = pg?.ConnectionString;
                    pgHow = pg is null ? "none" : $"private server from {PrivatePostgres.FindBin()}, fsync {(fsync ? "on" : "off")}";
                }
                catch (InvalidOperationException e) { pgHow = "none"; notes.Add("PostgreSQL: could not start a private server: " + e.Message); }
                if (pgCs is null) notes.Add("PostgreSQL skipped: no initdb/pg_ctl under /usr/lib/postgresql/*/bin and no --pg given");
            }

            var stores = new List<(string Name, PersistenceOptions? P)>
            {
                ("off", null),
                ("SQLite", new PersistenceOptions(PersistenceOptions.Sqlite, $"Data Source={Path.Combine(dir, "journal.db")}")),
            };
            if (pgCs is not null) stores.Add(("PostgreSQL", new PersistenceOptions(PersistenceOptions.Postgres, pgCs)));

            int phase = 30;
            foreach (var (name, p) in stores)
            {
                Log($"one-node cluster, persistence {name}");
                var node = StartNode(p);
                try
                {
                    await ClusterLoad.WaitUpAsync(node, 1, TimeSpan.FromSeconds(30));
                    await ClusterLoad.AddFlowsAsync(node);
                    await DriveForAsync(node.Datapath, phase++, TimeSpan.FromMinutes(1), WarmupConns); // JIT, shards, tables
                    var c = await CommitsAsync(node, name, phase++, seconds);
                    Log($"  {c.ConnsPerSec:N0} new connections/s ({c.Committed:N0} in {c.Seconds:F1} s), {c.Events:N0} journal events");
                    if (c.Problem is not null) notes.Add($"{name}: {c.Problem}");
                    commits.Add(c);
                    if (p is not null)
                    {
                        var j = await JournalAsync(node.System, name, writers, seconds);
                        Log($"  journal: {j.EventsPerSec:N0} events/s with {writers} writers, p50 {j.P50Ms:F1} ms, p99 {j.P99Ms:F1} ms");
                        journals.Add(j);
                    }
                }
                finally { await ClusterLoad.DisposeNodeAsync(node); }
            }
            Print(commits, journals, seconds, writers, pgHow, total.Elapsed, notes);
            return 0;
        }
        finally
        {
            pg?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A one-node cluster as `dswitch run` makes it, with two counting ports.</summary>
    private static ClusterNode StartNode(PersistenceOptions? p)
    {
        int port = ClusterLoad.FreePort();
        return new ClusterNode(new ClusterNodeOptions
        {
            Name = "n1", Port = port, Seeds = new[] { ClusterLoad.SeedAddress(port) }, Shards = ClusterLoad.Shards, Persistence = p,
            Security = Switch.Testing.TestPki.Security,
        }, new IPort[] { new NullPort(1), new NullPort(2) });
    }

    internal sealed record Drive(int Sent, int Committed, int Dropped, double Seconds, string? First);

    /// <summary>New UDP tuples of <paramref name="phase"/> into the datapath, <see cref="InFlight"/> messages outstanding,
    /// each one committed connection (the `journal-load` and `replicas` benches), until <paramref name="duration"/> has passed or <paramref name="max"/> were sent; then waits for the answers.</summary>
    internal static async Task<Drive> DriveForAsync(IActorRef datapath, int phase, TimeSpan duration, int max)
    {
        var pending = new Queue<Task<InjectFramesReply>>();
        int sent = 0, committed = 0, dropped = 0;
        string? first = null;
        void Count(InjectFramesReply r)
        {
            foreach (var f in r.Frames)
            {
                if ((f.CtState & CtStateBits.New) != 0 && f.Drop is null or "no_output") committed++;
                else { dropped++; first ??= $"ct_state=0x{f.CtState:x2} drop={f.Drop ?? "-"}"; }
            }
        }
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration && sent < max)
        {
            if (pending.Count >= InFlight) Count(await pending.Dequeue());
            int n = Math.Min(PerMessage, max - sent);
            var frames = new byte[n][];
            for (int k = 0; k < n; k++) frames[k] = ClusterLoad.Forward(phase, sent + k);
            pending.Enqueue(datapath.Ask<InjectFramesReply>(new InjectFrames(1, frames), AskTimeout));
            sent += n;
        }
        while (pending.Count > 0) Count(await pending.Dequeue());
        return new Drive(sent, committed, dropped, sw.Elapsed.TotalSeconds, first);
    }

    private static async Task<CommitResult> CommitsAsync(ClusterNode node, string store, int phase, TimeSpan duration)
    {
        long w0 = JournalStats.Get(node.System).Writes;
        double t0 = JournalStats.Get(node.System).TotalSeconds;
        var d = await DriveForAsync(node.Datapath, phase, duration, 1 << 20);
        long events = JournalStats.Get(node.System).Writes - w0;
        double mean = events == 0 ? 0 : (JournalStats.Get(node.System).TotalSeconds - t0) / events * 1000;
        string? problem = d.Dropped > 0 ? $"{d.Dropped} of {d.Sent} frames not committed (first: {d.First})" : null;
        return new CommitResult(store, d.Committed / d.Seconds, d.Committed, d.Sent, d.Seconds, events, mean,
            JournalStats.Get(node.System).MaxSeconds * 1000, problem);
    }

    /// <summary>The journal alone: <paramref name="writers"/> persistent actors each journaling one event after the other.</summary>
    private static async Task<JournalResult> JournalAsync(ActorSystem system, string store, int writers, TimeSpan duration)
    {
        var run = new WriterRun();
        string id = Guid.NewGuid().ToString("N")[..8];
        var actors = Enumerable.Range(0, writers).Select(i => system.ActorOf(Props.Create(() => new JournalWriter($"bench-{id}-{i}", run, i)))).ToList();
        await Task.Delay(TimeSpan.FromSeconds(2)); // recovery and the first writes
        run.Measure();
        await Task.Delay(duration);
        var (events, secs, lat) = run.Stop();
        foreach (var a in actors) a.Tell(PoisonPill.Instance);
        await Task.Delay(500);
        return new JournalResult(store, events / secs, events, secs, ClusterLoad.Percentile(lat, 0.5), ClusterLoad.Percentile(lat, 0.99));
    }

    /// <summary>What the writers share: whether to go on, and the events and latencies of the measured window.</summary>
    private sealed class WriterRun
    {
        private long _events, _start;
        private volatile bool _measuring, _stopped;
        private readonly double[] _lat = new double[1 << 20];
        private int _latN;
        public bool Stopped => _stopped;

        public void Measure() { _start = Stopwatch.GetTimestamp(); _measuring = true; }

        public void Record(long started)
        {
            if (!_measuring || _stopped) return;
            Interlocked.Increment(ref _events);
            int i = Interlocked.Increment(ref _latN) - 1;
            if (i < _lat.Length) _lat[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        public (long Events, double Seconds, double[] LatMs) Stop()
        {
            _stopped = true;
            double secs = Stopwatch.GetElapsedTime(_start).TotalSeconds;
            int n = Math.Min(Volatile.Read(ref _latN), _lat.Length);
            return (Interlocked.Read(ref _events), secs, n == 0 ? new[] { 0.0 } : _lat[..n]);
        }
    }

    /// <summary>Journals <see cref="ConnSaved"/> events back to back, one outstanding at a time, as a connection entity does.</summary>
    private sealed class JournalWriter : UntypedPersistentActor
    {
        private readonly WriterRun _run;
        private readonly ConnImage _rec;
        private long _started;

        public JournalWriter(string persistenceId, WriterRun run, int i)
        {
            PersistenceId = persistenceId;
            _run = run;
            long now = SystemClock.Instance.NowUs;
            _rec = ConnImage.Of(1, 17, false, ClusterLoad.Client(40, i), 0x0A80_0001, ClusterLoad.ClientPort(i), 53,
                true, 0x0a, 0, 0, 0, 0, now, now + 30_000_000);
        }

        public override string PersistenceId { get; }

        protected override void OnRecover(object message) { }

        protected override void OnCommand(object message)
        {
            if (message is not Next) return;
            _started = Stopwatch.GetTimestamp();
            Persist(new ConnSaved(_rec.WithExpiresUs(_rec.ExpiresUs + LastSequenceNr), Array.Empty<ExpectData>(), SystemClock.Instance.NowUs), _ =>
            {
                _run.Record(_started);
                if (!_run.Stopped) Self.Tell(Next.Instance);
            });
        }

        protected override void PreStart() => Self.Tell(Next.Instance);

        private sealed class Next { public static readonly Next Instance = new(); }
    }

    private static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);

    private static void Print(List<CommitResult> commits, List<JournalResult> journals, TimeSpan seconds, int writers, string pgHow,
        TimeSpan elapsed, List<string> notes)
    {
        var baseline = commits.FirstOrDefault(c => c.Store == "off");
        var rows = new List<string[]> { new[] { "persistence", "new committed conns/s", "vs off", "journal events/s (commits)", "events/conn", "journal write mean / max", "journal alone, events/s", "journal alone p50 / p99" } };
        foreach (var c in commits)
        {
            var j = journals.FirstOrDefault(x => x.Store == c.Store);
            string ratio = baseline is null || c == baseline ? "1 (baseline)" : Ratio(c.ConnsPerSec / baseline.ConnsPerSec);
            rows.Add(new[]
            {
                c.Store, N(c.ConnsPerSec), ratio,
                c.Events == 0 ? "-" : N(c.Events / c.Seconds),
                c.Events == 0 ? "-" : (c.Events / (double)Math.Max(1, c.Committed)).ToString("F2", CultureInfo.InvariantCulture),
                c.Events == 0 ? "-" : $"{c.JournalMeanMs:F1} / {c.JournalMaxMs:F0} ms",
                j is null ? "-" : N(j.EventsPerSec),
                j is null ? "-" : $"{j.P50Ms:F1} / {j.P99Ms:F1} ms",
            });
        }
        int[] w = Enumerable.Range(0, rows[0].Length).Select(col => rows.Max(r => r[col].Length)).ToArray();
        string Line(string[] r) => "| " + string.Join(" | ", r.Select((s, col) => s.PadRight(w[col]))) + " |";
        Console.WriteLine();
        Console.WriteLine($"DistSwitch journal-load — {Environment.ProcessorCount} cores, .NET {Environment.Version}, flow \"{ClusterLoad.FlowLine}\"");
        Console.WriteLine($"commits: one-node ClusterNode per store, {WarmupConns} warm-up connections, then new UDP tuples for {seconds.TotalSeconds:F0} s, InjectFrames of {PerMessage} frames, {InFlight} in flight");
        Console.WriteLine($"journal alone: {writers} persistent actors journaling ConnSaved back to back for {seconds.TotalSeconds:F0} s (after 2 s warm-up); PostgreSQL: {pgHow}; SQLite: one file, WAL, this process only");
        Console.WriteLine();
        Console.WriteLine(Line(rows[0]));
        Console.WriteLine("|" + string.Join("|", w.Select(x => new string('-', x + 2))) + "|");
        foreach (var r in rows.Skip(1)) Console.WriteLine(Line(r));
        Console.WriteLine();
        Console.WriteLine("journal write = Persist to its handler in the connection entities (JournalStats); max is over the whole process so far");
        foreach (var n in notes) Console.WriteLine("note: " + n);
        Console.WriteLine($"total wall time {elapsed.TotalSeconds:F0} s");
    }

    private static string Ratio(double r) => r >= 1
        ? "×" + r.ToString("F2", CultureInfo.InvariantCulture)
        : "1/" + (1 / r).ToString(1 / r >= 100 ? "N0" : "F1", CultureInfo.InvariantCulture) + $" ({r * 100:F1}%)";
}
