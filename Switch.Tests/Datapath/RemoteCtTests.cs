using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;
using Dp = Switch.Core.Datapath.Datapath;

namespace Switch.Tests.Datapath;

/// <summary>A datapath whose conntrack answers later (as the cluster's does) continues each packet where it stopped.</summary>
[Trait("Category", Tiers.Unit)]
public class RemoteCtTests
{
    private sealed class DeferredConntrack : IRemoteConntrack
    {
        public readonly Queue<CtCall> Calls = new();
        public readonly ConntrackEngine Engine;
        public DeferredConntrack(IClock clock) => Engine = new ConntrackEngine(clock);
        public void Submit(CtCall call) => Calls.Enqueue(call);

        public void AnswerAll(Dp dp)
        {
            while (Calls.TryDequeue(out var c))
            {
                var outcome = Engine.Execute(ref c.Packet, ref c.Key, c.Request);
                dp.Resume(c, outcome);
            }
        }
    }

    [Fact]
    public void Parked_packets_resume_with_their_remaining_actions_and_resubmit_stack()
    {
        var clock = new ManualClock(1_000_000);
        var ct = new DeferredConntrack(clock);
        var dp = new Dp(null, clock, ct);
        var p2 = new InMemoryPort(2); var p3 = new InMemoryPort(3); var p4 = new InMemoryPort(4);
        dp.AddPort(p2); dp.AddPort(p3); dp.AddPort(p4);
        foreach (var f in new[]
        {
            "table=0,ip actions=resubmit(,5),output:4",
            "table=5,ip,in_port=1 actions=ct(commit,zone=3),output:2",
            "table=5,ip,in_port=2 actions=ct(zone=3,table=6)",
            "table=6,ip,ct_state=+est+rpl,ct_zone=3 actions=output:3",
        }) dp.AddFlow(FlowParser.Parse(f));

        var traces = new List<PacketTrace?>();
        dp.Receive(Packet.From(UdpV4("10.0.0.1", "10.0.0.2", 1, 2), 1), new PacketTrace(), t => traces.Add(t));
        dp.Receive(Packet.From(UdpV4("10.0.0.2", "10.0.0.1", 2, 1), 2), new PacketTrace(), t => traces.Add(t));
        Assert.Equal(2, dp.PendingCt);
        Assert.Empty(traces);
        Assert.Empty(p2.Sent);

        ct.AnswerAll(dp);
        Assert.Equal(0, dp.PendingCt);
        Assert.Equal(2, traces.Count);
        Assert.Single(p2.Sent);          // the action after ct(commit) in table 5
        Assert.Equal(2, p4.Sent.Count);  // the action after resubmit(,5) in table 0, for both packets
        Assert.Single(p3.Sent);          // the reply, recirculated to table 6 as +est+rpl
        Assert.Equal(CtStateBits.Tracked | CtStateBits.Established | CtStateBits.ReplyDir, traces[1]!.Ct[^1].State);
    }
}
