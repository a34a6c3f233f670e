using System.Diagnostics;
using System.Globalization;
using Switch.Contracts.Control;
using Switch.Node.Control;
using Switch.Testing;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Bench;

/// <summary>
/// `failover`: what a member's SIGKILL costs with the shipped defaults (R = 2, no journal), for N = 1 000 and
/// 100 000 committed TCP connections (or <c>--sizes</c>). Three real `dswitch run` processes on loopback; the
/// handshakes enter three members (SYN, SYN-ACK, ACK each through another); the member owning the most connections
/// is killed. Printed per N:
/// <list type="bullet">
/// <item>the steady sweep: the next packet of all N through a survivor before the kill (the time a sweep takes by
/// itself, the floor of "all N" below);</item>
/// <item>kill → first correct answer for a connection the dead member owned (its shard was one of the dead member's,
/// by the shard placement <c>/cluster</c> reported before the kill; asked every 50 ms);</item>
/// <item>kill → a new connection of such a shard accepted (its SYN answered +new, not timed out);</item>
/// <item>kill → all N correct (sweeps repeat for the unanswered until none is left), and that minus the steady
/// sweep;</item>
/// <item>kill → re-replicated (every survivor reports no whole-shard copy pending and the dead member is gone);</item>
/// <item>connections lost (a wrong answer: +new, +inv).</item>
/// </list>
/// </summary>
public static class FailoverBench
{
    private static readonly string[] Flows = Switch.Testing.TestFlows.Firewall;

    private const int PerRequest = 1000, InFlight = 3;

    private sealed record Row(int N, double CommitSeconds, double SweepSeconds, double First, double NewAccepted, double All, double Rereplicated, int Lost, string Victim);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        int i = Array.IndexOf(args, "--sizes");
        var sizes = (i >= 0 ? args[i + 1] : "1000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture));
        var rows = new List<Row>();
        foreach (var n in sizes) rows.Add(await Measure(n));
        Console.WriteLine($"DistSwitch failover — {Environment.ProcessorCount} cores, .NET {Environment.Version}, 3 `dswitch run` processes on loopback, shipped defaults (R = 2, no journal), SIGKILL of the member owning the most");
        Console.WriteLine("| N connections | commit | steady sweep of N | kill → first answer of a dead member's connection | kill → a new connection of its shards accepted | kill → all N +est | minus the steady sweep | kill → re-replicated | lost |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.N} | {r.CommitSeconds:F1} s | {r.SweepSeconds:F2} s | {r.First:F2} s | {r.NewAccepted:F2} s | {r.All:F2} s | {Math.Max(0, r.All - r.SweepSeconds):F2} s | {r.Rereplicated:F2} s | {r.Lost} |");
        return 0;
    }

    private static string Client(int i) => $"10.{20 + i / 65536}.{i / 256 % 256}.{i % 256}";
    private static ushort Port(int i) => (ushort)(10000 + i % 50000);

    private static async Task<List<PacketOutFrame>> Out(ControlClient c, string node, uint port, IReadOnlyList<byte[]> frames)
    {
        var parts = new List<Task<PacketOutResult>>();
        var all = new List<PacketOutFrame>(frames.Count);
        for (int k = 0; k < frames.Count; k += PerRequest)
        {
            if (parts.Count >= InFlight) { all.AddRange((await parts[0]).Frames); parts.RemoveAt(0); }
            var hex = frames.Skip(k).Take(PerRequest).Select(f => HexFrame.Format(f)).ToList();
            parts.Add(c.PacketOutAsync(new PacketOutRequest(node, port, hex)));
        }
        foreach (var p in parts) all.AddRange((await p).Frames);
        return all;
    }

    private static async Task<Row> Measure(int n)
    {
        var dir = Directory.CreateTempSubdirectory("dswitch-fobench-").FullName;
        var nodes = new List<NodeProcess>();
        try
        {
            Console.Error.WriteLine($"[failover] N = {n}: starting 3 members");
            int seedPort = Switch.Node.Cluster.Loopback.FreePort();
            string seed = $"akka.ssl.tcp://dswitch@127.0.0.1:{seedPort}";
            for (int k = 1; k <= 3; k++)
                nodes.Add(NodeProcess.Start(dir, $"n{k}", k == 1 ? seedPort : Switch.Node.Cluster.Loopback.FreePort(), seed, null, "\"1\":{},\"2\":{}"));
            foreach (var p in nodes) await p.WaitReadyAsync(TimeSpan.FromSeconds(90));
            using var c = TestPki.Client(nodes[0].Api, TimeSpan.FromSeconds(300));
            var until = DateTime.UtcNow.AddSeconds(60);
            while ((await c.ClusterAsync()).Members.Count(m => m.Status == "Up") < 3)
                if (DateTime.UtcNow > until) throw new TimeoutException("members not up"); else await Task.Delay(200);
            await c.AddFlowsAsync(new AddFlowsRequest(Flows));
            await Task.Delay(1000);

            Console.Error.WriteLine($"[failover] N = {n}: committing");
            var commit = Stopwatch.StartNew();
            var syn = Enumerable.Range(0, n).Select(k => TcpV4(Client(k), "172.16.0.2", Port(k), 80, Syn, 100)).ToList();
            var synAck = Enumerable.Range(0, n).Select(k => TcpV4("172.16.0.2", Client(k), 80, Port(k), Syn | Ack, 900, 101)).ToList();
            var ack = Enumerable.Range(0, n).Select(k => TcpV4(Client(k), "172.16.0.2", Port(k), 80, Ack, 101, 901)).ToList();
            Expect(await Out(c, "n2", 1, syn), "+new+trk", "SYN");
            Expect(await Out(c, "n3", 2, synAck), "+est+rpl+trk", "SYN-ACK");
            Expect(await Out(c, "n1", 1, ack), "+est+trk", "ACK");
            double commitSecs = commit.Elapsed.TotalSeconds;

            var status = await c.ClusterAsync();
            var owner = status.Members.OrderByDescending(m => m.ShardReplicas?.Count ?? 0).ThenByDescending(m => m.Connections).First();
            var victim = nodes.Single(p => p.Name == owner.Name);
            var survivor = nodes.First(p => p != victim);
            using var sc = TestPki.Client(survivor.Api, TimeSpan.FromSeconds(300));
            var data = Enumerable.Range(0, n).Select(k => TcpV4(Client(k), "172.16.0.2", Port(k), 80, Psh | Ack, 101, 901, "x"u8)).ToList();
            var victimShards = (owner.ShardReplicas ?? Array.Empty<string>()).Select(r => r.Split('=')[0]).ToHashSet();
            int probe = Enumerable.Range(0, n).FirstOrDefault(k => victimShards.Contains(ShardOf(data[k])));
            var fresh = Enumerable.Range(0, 10_000).Select(k => TcpV4("10.250.0.1", "172.16.0.9", (ushort)(1024 + k), 443, Syn, 7))
                .First(f => victimShards.Contains(ShardOf(f)));
            // Wait until every shard is on its replica before the kill (the whole cluster re-replicated once).
            await Rereplicated(sc, 3);
            var sweep = Stopwatch.StartNew();
            Expect(await Out(sc, survivor.Name, 1, data), "+est+trk", "steady sweep");
            double sweepSecs = sweep.Elapsed.TotalSeconds;

            Console.Error.WriteLine($"[failover] N = {n}: SIGKILL {victim.Name}");
            var sw = Stopwatch.StartNew();
            victim.Process.Kill(entireProcessTree: true);
            var rerep = Task.Run(async () => { await Rereplicated(sc, 2); return sw.Elapsed.TotalSeconds; });
            // The first correct answer for a connection the victim owned (its shard was one of the victim's), and the
            // first new connection of such a shard accepted (its SYN answered +new, not timed out), asked together.
            async Task<double> Until(byte[] frame, string state)
            {
                while (sw.Elapsed < TimeSpan.FromSeconds(60))
                {
                    try
                    {
                        var f = (await Out(sc, survivor.Name, 1, new[] { frame }))[0];
                        if (f.CtState == state && f.Drop is null) return sw.Elapsed.TotalSeconds;
                    }
                    catch (Exception e) when (e is ControlClientException or HttpRequestException or TaskCanceledException) { }
                    await Task.Delay(50);
                }
                return double.NaN;
            }
            var firstOld = Until(data[probe], "+est+trk");
            var firstNew = Until(fresh, "+new+trk");
            double first = await firstOld, accepted = await firstNew;
            var pending = Enumerable.Range(0, n).ToList();
            int lost = 0;
            while (pending.Count > 0 && sw.Elapsed < TimeSpan.FromSeconds(180))
            {
                List<PacketOutFrame> got;
                try { got = await Out(sc, survivor.Name, 1, pending.Select(k => data[k]).ToList()); }
                catch (Exception e) when (e is ControlClientException or HttpRequestException or TaskCanceledException) { await Task.Delay(200); continue; }
                var retry = new List<int>();
                for (int k = 0; k < pending.Count; k++)
                {
                    var f = got[k];
                    if (f.Drop is not null && f.Drop.Contains("ct_timeout")) { retry.Add(pending[k]); continue; }
                    if (f.CtState != "+est+trk") lost++;
                }
                pending = retry;
            }
            double all = sw.Elapsed.TotalSeconds;
            lost += pending.Count;
            double rereplicated = await rerep.WaitAsync(TimeSpan.FromSeconds(120));
            return new Row(n, commitSecs, sweepSecs, first, accepted, all, rereplicated, lost, victim.Name);
        }
        finally
        {
            foreach (var p in nodes) p.Dispose();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static string ShardOf(byte[] frame)
    {
        var k = new Switch.Core.Packets.FlowKey();
        Switch.Core.Packets.PacketParser.Parse(frame, 1, ref k);
        return Switch.Actors.Cluster.CtRouting.ShardId(Switch.Actors.Cluster.CtRouting.EntityId(frame, in k, 1), 30);
    }

    private static void Expect(List<PacketOutFrame> frames, string state, string what)
    {
        int bad = frames.Count(f => f.CtState != state);
        if (bad > 0) throw new InvalidOperationException($"{what}: {bad} of {frames.Count} not {state} (first: {frames.First(f => f.CtState != state).CtState} {frames.First(f => f.CtState != state).Drop})");
    }

    /// <summary>Every member reports its shards on all their replicas (no whole-shard copy pending), with
    /// <paramref name="members"/> members Up.</summary>
    private static async Task Rereplicated(ControlClient c, int members)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < until)
        {
            try
            {
                var s = await c.ClusterAsync();
                var up = s.Members.Where(m => m.Status == "Up").ToList();
                if (up.Count == members && s.Members.Count(m => m.Status != "Removed") == members && up.All(m => m.CopiesPending == 0)
                    && up.Sum(m => m.ShardReplicas?.Count ?? 0) == 30 && up.All(m => m.ShardReplicas?.All(r => r.Split('=')[1] is { Length: > 0 } v && v.Split('|').Length == 1) ?? true))
                    return;
            }
            catch (Exception e) when (e is ControlClientException or HttpRequestException or TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("not re-replicated within 120 s");
    }
}
