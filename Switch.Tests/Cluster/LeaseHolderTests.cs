using Akka.Actor;
using Switch.Actors.Cluster;
using Switch.Contracts;
using Switch.Contracts.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Xunit;
using DatapathCore = Switch.Core.Datapath.Datapath;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Cluster;

/// <summary>The holder's side of the lease protocol (docs/fast-path.md), deterministic and without actors: a real
/// <see cref="DatapathCore"/> over the real <see cref="ClusterConntrack"/>, whose messages are recorded instead of sent,
/// and a scripted entity (an engine of its own answering each query as the entity would).</summary>
[Trait("Category", Tiers.Unit)]
public class LeaseHolderTests
{
    private static readonly Address Grantor = new("akka.ssl.tcp", "dswitch", "127.0.0.1", 4053);

    private sealed class Harness
    {
        public readonly List<object> ToRegion = new(), ToSelf = new();
        public readonly ManualClock Clock = new(1_000_000_000);
        /// <summary>Real time for overdue answers (the connection clock may follow a capture).</summary>
        public readonly ManualClock Deadlines = new(0);
        public readonly ClusterConntrack Ct;
        public readonly DatapathCore Dp;
        public readonly InMemoryPort Out = new(2);
        /// <summary>The entity's engine: it decides what the harness answers.</summary>
        public readonly ConntrackEngine Entity;

        public Harness(bool durable = false)
        {
            Entity = new ConntrackEngine(Clock);
            Ct = new ClusterConntrack(ToRegion.Add, ToSelf.Add, shards: 8, clock: Clock, durableReports: durable, deadlines: Deadlines);
            Dp = new DatapathCore(null, Clock, Ct);
            Dp.AddPort(new InMemoryPort(1));
            Dp.AddPort(Out);
            Dp.AddFlow(FlowParser.Parse("table=0,priority=10,udp actions=ct(commit,zone=1,table=1)"));
            Dp.AddFlow(FlowParser.Parse("table=1,priority=10,ct_state=+trk actions=output:2"));
        }

        /// <summary>A UDP datagram of the one connection; <paramref name="tag"/> is its payload, to see the order out.</summary>
        public void Send(byte tag, bool reply = false) =>
            Dp.Receive(Packet.From(reply ? UdpV4("10.0.0.2", "10.0.0.1", 53, 5000, new[] { tag }) : UdpV4("10.0.0.1", "10.0.0.2", 5000, 53, new[] { tag }), 1));

        /// <summary>What the conntrack sent since the last call (its Flush run first, as the actor would).</summary>
        public (List<CtQuery> Queries, List<LeaseReport> Reports) Sent()
        {
            if (ToSelf.Remove(ClusterConntrack.Flush.Instance)) Ct.OnFlush();
            var batches = ToRegion.OfType<CtQueryBatch>().ToList();
            ToRegion.Clear();
            return (batches.SelectMany(b => b.Queries).ToList(), batches.SelectMany(b => b.Reports ?? Array.Empty<LeaseReport>()).ToList());
        }

        /// <summary>The entity answers <paramref name="q"/>; with an epoch, its answer lends the connection.</summary>
        public void Answer(CtQuery q, long epoch = 0)
        {
            var reply = CtWire.Decide(Entity, q);
            if (epoch != 0) reply = reply with { Lease = new LeaseGrant(epoch, ConnImages.From(Entity.Single()!)) };
            Ct.OnReply(reply, Dp, Grantor);
        }

        public byte[] Tags() => Out.Sent.Select(f => f.Data[^1]).ToArray();
    }

    /// <summary>One datagram asked and answered with a lease (epoch 5): the lease is active.</summary>
    private static (Harness H, CtQuery Q) Lent(bool durable = false)
    {
        var h = new Harness(durable);
        h.Send(1);
        var q = h.Sent().Queries.Single();
        h.Answer(q, epoch: 5);
        return (h, q);
    }

    /// <summary>Ordering rule 1: the holder decides locally only once none of its queries to the entity is out; the
    /// packets that arrive meanwhile are parked, then decided here in arrival order.</summary>
    [Fact]
    public void A_grant_activates_once_no_query_is_out_and_parked_packets_follow_in_order()
    {
        var h = new Harness();
        h.Send(1);
        h.Send(2);
        var (queries, _) = h.Sent();
        Assert.Equal(2, queries.Count);
        Assert.Equal(queries[0].EntityId, queries[1].EntityId);

        h.Answer(queries[0], epoch: 5);
        Assert.Equal(new byte[] { 1 }, h.Tags());
        Assert.Equal(0, h.Ct.LeasesHeld); // query 2 is still out: activating

        h.Send(3);
        Assert.Empty(h.Sent().Queries); // parked behind the lease, not asked
        Assert.Equal(new byte[] { 1 }, h.Tags());

        h.Answer(queries[1], epoch: 5);
        Assert.Equal(1, h.Ct.LeasesHeld);
        Assert.Equal(new byte[] { 1, 2, 3 }, h.Tags());
        Assert.Equal(1, h.Ct.LocalDecisions);

        h.Send(4);
        Assert.Empty(h.Sent().Queries);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, h.Tags());
        Assert.Equal(2, h.Ct.LocalDecisions);
        Assert.Equal(4, h.Ct.Decisions);
    }

    /// <summary>An answer overdue in real time (5 s) drops its packet as ct_timeout, and a lease that was waiting for
    /// it is given up: the packets parked behind it are asked again. The connection clock (a capture's time in replay)
    /// does not make answers overdue.</summary>
    [Fact]
    public void An_overdue_answer_drops_its_packet_and_gives_up_an_activating_lease()
    {
        var h = new Harness();
        h.Send(1);
        h.Send(2);
        var (queries, _) = h.Sent();
        h.Answer(queries[0], epoch: 5);
        h.Send(3); // parked: query 2 is out
        Assert.Empty(h.Sent().Queries);

        h.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, h.Ct.ExpireOverdue(h.Dp));
        h.Deadlines.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(1, h.Ct.ExpireOverdue(h.Dp));
        Assert.Equal(1, h.Ct.Timeouts);
        Assert.Equal(0, h.Ct.LeasesHeld);
        Assert.Equal(new byte[] { 1 }, h.Tags()); // 2 dropped, 3 not decided yet
        var again = Assert.Single(h.Sent().Queries); // 3 goes to the entity
        Assert.Equal(queries[0].EntityId, again.EntityId);
        h.Answer(again);
        Assert.Equal(new byte[] { 1, 3 }, h.Tags());
    }

    /// <summary>Ordering rule 3 at the holder: a revoke of an ended epoch changes nothing; the current one takes the
    /// connection back with its latest state, and the next packet goes to the entity.</summary>
    [Fact]
    public void A_revoke_returns_the_latest_state_only_for_the_current_epoch()
    {
        var (h, q) = Lent();
        Assert.Equal(1, h.Ct.LeasesHeld);
        h.Send(2, reply: true); // decided here: the connection has seen its reply
        var sent = h.Sent();
        Assert.Empty(sent.Queries);
        Assert.Single(sent.Reports); // the state class changed: reported (not durable: the packet did not wait)
        Assert.Equal(new byte[] { 1, 2 }, h.Tags());

        var stale = h.Ct.OnRevoke(new LeaseRevoke(q.EntityId, 4));
        Assert.Null(stale.Image);
        Assert.False(stale.Gone);
        Assert.Equal(1, h.Ct.LeasesHeld);

        var back = h.Ct.OnRevoke(new LeaseRevoke(q.EntityId, 5));
        Assert.Equal(5, back.Epoch);
        Assert.False(back.Gone);
        Assert.NotNull(back.Image);
        Assert.NotEqual(0, back.Image!.Status & (byte)ConnStatus.SeenReply);
        Assert.Equal(0, h.Ct.LeasesHeld);

        h.Send(3);
        Assert.Single(h.Sent().Queries);
        Assert.Equal(new byte[] { 1, 2 }, h.Tags()); // waits for the entity's answer
    }

    [Fact]
    public void A_lease_whose_connection_expired_here_is_returned_gone()
    {
        var (h, q) = Lent();
        h.Clock.Advance(TimeSpan.FromMinutes(10));
        var back = h.Ct.OnRevoke(new LeaseRevoke(q.EntityId, 5));
        Assert.True(back.Gone);
        Assert.Null(back.Image);
    }

    [Fact]
    public void Leases_granted_by_a_departed_member_end_and_its_connections_are_asked_again()
    {
        var (h, _) = Lent();
        h.Ct.DropLeasesFrom(new Address("akka.ssl.tcp", "dswitch", "127.0.0.1", 4054)); // another member: no effect
        Assert.Equal(1, h.Ct.LeasesHeld);
        h.Ct.DropLeasesFrom(Grantor);
        Assert.Equal(0, h.Ct.LeasesHeld);
        Assert.Equal(1, h.Ct.LeasesDropped);
        h.Send(2);
        Assert.Single(h.Sent().Queries);
    }

    /// <summary>A durable cluster: a local decision that changed the journaled state class is
    /// <see cref="LocalVerdict.DecidedPendingDurability"/>; its packet goes on only once the entity acknowledges the
    /// report, and a decision that changed nothing goes on at once.</summary>
    [Fact]
    public void A_durable_holders_packet_waits_for_the_journal_of_the_change_it_made()
    {
        var (h, _) = Lent(durable: true);
        h.Send(2, reply: true);
        var (queries, reports) = h.Sent();
        Assert.Empty(queries);
        var report = Assert.Single(reports);
        Assert.NotEqual(0, report.AckId);
        Assert.Equal(5, report.Epoch);
        Assert.Equal(new byte[] { 1 }, h.Tags()); // held for the journal
        Assert.Equal(1, h.Ct.Pending);

        h.Ct.OnReportAck(new LeaseReportAck(report.AckId), h.Dp);
        Assert.Equal(new byte[] { 1, 2 }, h.Tags());
        Assert.Equal(0, h.Ct.Pending);

        h.Send(3, reply: true); // same class: decided and gone on at once
        Assert.Empty(h.Sent().Reports);
        Assert.Equal(new byte[] { 1, 2, 3 }, h.Tags());
        Assert.Equal(2, h.Ct.LocalDecisions);
        Assert.Equal(3, h.Ct.Decisions);
    }

    [Fact]
    public void A_held_lease_moves_only_forward()
    {
        var image = ConnImage.Of(1, 17, false, 1, 2, 5000, 53, true, 0, 0, 0, 0, 0, 0, 0);
        var l = new HeldLease("c/x", 5, Grantor, image);
        Assert.Equal(HeldLeaseState.Activating, l.State);
        Assert.Throws<InvalidOperationException>(() => l.Replace(null!));
        l.End();
        Assert.Equal(HeldLeaseState.Ended, l.State);
        Assert.Throws<InvalidOperationException>(() => l.Refresh(image));
        Assert.Throws<InvalidOperationException>(() => l.End());
    }
}
