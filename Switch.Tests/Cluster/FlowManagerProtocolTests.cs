using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Switch.Actors.Cluster;
using Switch.Contracts.Cluster;
using Xunit;

namespace Switch.Tests.Cluster;

/// <summary>
/// The flow manager's two-phase change against a member whose datapath is scripted (an actor at the datapath's path of
/// a one-member cluster): a member that refuses gets the change aborted everywhere with an error naming it, and the
/// manager's table and version stay as before; a member that is behind gets the table first, then the change.
/// </summary>
[Trait("Category", Tiers.Cluster)]
public sealed class FlowManagerProtocolTests : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public async Task InitializeAsync()
    {
        _system = ActorSystem.Create("fm", ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.loglevel = WARNING
            """));
        var cluster = Akka.Cluster.Cluster.Get(_system);
        cluster.Join(cluster.SelfAddress);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!cluster.State.Members.Any(m => m.Status == MemberStatus.Up))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("one-member cluster not Up");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync() => await _system.Terminate();

    /// <summary>A member's datapath that answers as told and records what it got.</summary>
    private sealed class ScriptedDatapath : ReceiveActor
    {
        public ScriptedDatapath(Func<FlowDelta, (long Have, string? Error)> prepare, ConcurrentQueue<object> got)
        {
            long version = 0;
            Receive<FlowStateQuery>(_ => Sender.Tell(new FlowSync("m1", version)));
            Receive<FlowDelta>(d =>
            {
                got.Enqueue(d);
                if (d.More) return;
                var (have, err) = prepare(d);
                Sender.Tell(new FlowDeltaPrepared("m1", d.Version, have, err));
            });
            Receive<FlowSnapshotPart>(p => { got.Enqueue(p); if (!p.More) version = p.Version; });
            Receive<FlowDeltaCommit>(c =>
            {
                got.Enqueue(c);
                if (c.Apply) { version = c.Version; Sender.Tell(new FlowSetApplied("m1", version)); }
            });
            Receive<FlowSync>(_ => { });
        }
    }

    private IActorRef Manager(Func<FlowDelta, (long, string?)> prepare, ConcurrentQueue<object> got)
    {
        _system.ActorOf(Props.Create(() => new ScriptedDatapath(prepare, got)), DatapathActor.Name);
        return _system.ActorOf(FlowManager.Props(), "flow-manager");
    }

    private static Task<FlowCommandResult> Add(IActorRef manager, params string[] lines) =>
        manager.Ask<FlowCommandResult>(new FlowCommand(FlowCommandKind.Add, lines, false), TimeSpan.FromSeconds(20));

    [Fact]
    public async Task A_member_that_cannot_apply_a_change_aborts_it_everywhere_and_is_named()
    {
        var got = new ConcurrentQueue<object>();
        bool refuse = true;
        var manager = Manager(d => refuse ? (d.Version - 1, "disk on fire") : (d.Version - 1, null), got);

        var r = await Add(manager, "table=0,priority=5,ip actions=drop");
        Assert.Equal("flow change 1 not applied: member m1 (" + Akka.Cluster.Cluster.Get(_system).SelfAddress + ") cannot apply it: disk on fire; nothing changed", r.Error);
        // The abort goes to the member as the error goes to the asker: the two race, so wait for the abort to arrive.
        var abortUntil = DateTime.UtcNow.AddSeconds(10);
        while (!got.Any(m => m is FlowDeltaCommit { Version: 1, Apply: false }) && DateTime.UtcNow < abortUntil)
            await Task.Delay(10);
        Assert.Contains(got, m => m is FlowDeltaCommit { Version: 1, Apply: false });
        Assert.DoesNotContain(got, m => m is FlowDeltaCommit { Apply: true });

        // Nothing changed: the next change is version 1 again, and the manager's table lacks the refused flow.
        refuse = false;
        var ok = await Add(manager, "table=0,priority=6,udp actions=drop");
        Assert.Equal((1L, (string?)null, 1), (ok.Version, ok.Error, ok.Affected));
        var table = await manager.Ask<FlowSnapshotPart>(new FlowSync("probe", 0), TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { "table=0, priority=6,udp actions=drop" }, table.Lines);
    }

    [Fact]
    public async Task A_member_that_is_behind_gets_the_table_then_the_change()
    {
        var got = new ConcurrentQueue<object>();
        int deltas = 0;
        // Change 2 first finds the member at version 0 (it lost change 1); once it has the table it stages change 2.
        var manager = Manager(d => d.Version == 2 && Interlocked.Increment(ref deltas) == 1 ? (0, "runs flow version 0, the change needs 1") : (d.Version - 1, null), got);
        Assert.Null((await Add(manager, "table=0,priority=5,ip actions=drop")).Error);
        got.Clear();

        var r = await Add(manager, "table=0,priority=6,udp actions=drop");
        Assert.Equal((2L, (string?)null), (r.Version, r.Error));
        Assert.Equal(new[] { nameof(FlowDelta), nameof(FlowSnapshotPart), nameof(FlowDelta), nameof(FlowDeltaCommit) },
            got.Select(m => m.GetType().Name));
        var snap = got.OfType<FlowSnapshotPart>().Single();
        Assert.Equal(1L, snap.Version);
        Assert.Equal(new[] { "table=0, priority=5,ip actions=drop" }, snap.Lines);
    }
}
