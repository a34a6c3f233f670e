using Switch.Node.Commands;
using Xunit;

namespace Switch.Tests.Live;

/// <summary>Real traffic between two namespaces through one `dswitch run` node on live ports, under the stateful firewall.</summary>
[Trait("Category", Tiers.Live)]
[Collection(LiveCollection.Name)]
public sealed class SingleNodeFirewallTests(SingleNodeFixture f) : IClassFixture<SingleNodeFixture>
{
    private const string A = SingleNodeFixture.NsA, B = SingleNodeFixture.NsB;

    [LiveFact]
    public async Task Tcp_from_A_to_B_transfers_one_megabyte_intact() =>
        await Ctx(() => FirewallScenario.TcpOneMegabyteAtoB(A, B, SingleNodeFixture.IpB));

    [LiveFact]
    public async Task New_connections_from_B_to_A_are_blocked() =>
        await Ctx(() => FirewallScenario.NewConnectionsFromBAreBlocked(A, B, SingleNodeFixture.IpA));

    [LiveFact]
    public async Task Ping_from_A_to_B_works() =>
        await Ctx(() => { FirewallScenario.PingAtoB(A, SingleNodeFixture.IpB); return Task.CompletedTask; });

    [LiveFact]
    public async Task Udp_datagram_of_4000_bytes_fragmented_by_the_sender_arrives_whole() =>
        await Ctx(() => FirewallScenario.FragmentedUdpArrivesWhole(A, B, SingleNodeFixture.IpB));

    [LiveFact]
    public async Task Ftp_passive_and_active_through_the_ftp_alg() =>
        await Ctx(() => { FirewallScenario.FtpPassiveAndActive(A, B, SingleNodeFixture.IpB); return Task.CompletedTask; });

    [LiveFact]
    public async Task Ctl_ports_lists_the_live_ports_with_counters()
    {
        await Ctx(() => { FirewallScenario.PingAtoB(A, SingleNodeFixture.IpB); return Task.CompletedTask; });
        var o = new StringWriter();
        Assert.Equal(0, CtlCommand.Run(["--seed", f.Api, "ports"], o, o));
        var lines = o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var p1 = Assert.Single(lines, l => l.StartsWith("1 "));
        Assert.Contains("live", p1);
        Assert.Contains(NetNs.LinkPrefix + "a", p1);
        Assert.Single(lines, l => l.StartsWith("2 "));
    }

    /// <summary>Runs a check; on failure, the switch's log and ports go with the message.</summary>
    private async Task Ctx(Func<Task> check)
    {
        try { await check(); }
        catch (Exception e)
        {
            var o = new StringWriter();
            CtlCommand.Run(["--seed", f.Api, "ports"], o, o);
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- ports:\n{o}\n--- dswitch log:\n{f.Switch?.Log}\n{e}");
        }
    }
}
