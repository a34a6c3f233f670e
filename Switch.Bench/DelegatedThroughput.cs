using System.Diagnostics;
using Akka.Actor;
using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using DatapathCore = Switch.Core.Datapath.Datapath;

namespace Switch.Bench;

public static partial class ClusterLoad
{
    public sealed record DecisionCost(double EstPerSec, double SteadyPerSec);

    /// <summary>
    /// The delegated decision alone, on one thread: a Datapath whose conntrack is the cluster's
    /// <see cref="ClusterConntrack"/> holding a lease on each of n connections (granted through its real
    /// <see cref="ClusterConntrack.OnReply"/> path, messages going nowhere), against the same Datapath over the in-process
    /// engine. Established = the reply and a repeat of each connection (the reply changes the state class, so the
    /// delegated side also builds a report); steady = more repeats of each (no change to report), best of five passes.
    /// </summary>
    public static (DecisionCost InProcess, DecisionCost Delegated) DecisionCosts(int phase, int n)
    {
        var clock = SystemClock.Instance;
        var settings = new ConntrackSettings { MaxConnections = 2 * n + 16 };
        var ep = EstablishedFrames(phase, n).Select(f => Packet.From(f, 1)).ToArray();
        var steady = NewFrames(phase, n).Select(f => Packet.From(f, 1)).ToArray();
        var np = NewFrames(phase, n).Select(f => Packet.From(f, 1)).ToArray();

        // In-process: commit, then time established and steady.
        var engine = new ConntrackEngine(clock, settings);
        var dp = new DatapathCore(engine, clock);
        dp.AddPort(new NullPort(1)); dp.AddPort(new NullPort(2));
        dp.AddFlow(FlowParser.Parse(FlowLine));
        foreach (var p in np) dp.Receive(p.Clone());
        double estIn = Time(dp, ep), steadyIn = Best(dp, steady);

        // Delegated: the commits go out as queries (to nobody); answers carrying leases come back.
        var side = new ConntrackEngine(clock, settings);
        var cc = new ClusterConntrack(_ => { }, _ => { }, Shards, maxPending: 2 * n + 16, clock: clock, settings: settings);
        var ddp = new DatapathCore(null, clock, cc);
        ddp.AddPort(new NullPort(1)); ddp.AddPort(new NullPort(2));
        ddp.AddFlow(FlowParser.Parse(FlowLine));
        foreach (var p in np) ddp.Receive(p.Clone());
        var grantor = new Address("akka.tcp", "dswitch", "127.0.0.1", 1);
        for (int i = 0; i < n; i++)
        {
            var p = Packet.From(Forward(phase, i), 1);
            var k = default(FlowKey);
            PacketParser.Parse(p.Span, 1, ref k);
            side.Execute(ref p, ref k, Commit);
            side.TryGet(ConnKeyOf(phase, i), out var c);
            cc.OnReply(new CtReply(i + 1, CtWireVerdict.Continue, null, CtWire.Words(k), null, 0, new LeaseGrant(1, ConnImages.From(c!))), ddp, grantor);
        }
        if (cc.LeasesHeld != n) throw new InvalidOperationException($"{cc.LeasesHeld} leases active, expected {n}");
        long local0 = cc.LocalDecisions;
        double estDel = Time(ddp, ep), steadyDel = Best(ddp, steady);
        if (cc.LocalDecisions - local0 != ep.Length + 5 * steady.Length)
            throw new InvalidOperationException($"{cc.LocalDecisions - local0} local decisions, expected {ep.Length + 5 * steady.Length}");
        return (new DecisionCost(estIn, steadyIn), new DecisionCost(estDel, steadyDel));
    }

    private static ConnKey ConnKeyOf(int phase, int i) =>
        ConnKey.Canonical(Zone, IpProtos.Udp, false, Client(phase, i), 0x0A80_0001, ClientPort(i), 53, out _);

    /// <summary>The best of five passes (the machine is shared; the steady state does not change between passes).</summary>
    private static double Best(DatapathCore dp, Packet[] packets)
    {
        GC.Collect();
        return Enumerable.Range(0, 5).Max(_ => Time(dp, packets));
    }

    private static double Time(DatapathCore dp, Packet[] packets)
    {
        long t0 = Stopwatch.GetTimestamp();
        foreach (var p in packets) dp.Receive(p);
        return packets.Length / Stopwatch.GetElapsedTime(t0).TotalSeconds;
    }
}
