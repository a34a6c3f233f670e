using Xunit;

namespace Switch.Tests.Live;

/// <summary>The single-node firewall checks across two cluster members, each in its own namespace, joined by VXLAN,
/// conntrack sharded across both.</summary>
[Trait("Category", Tiers.Live)]
[Collection(LiveCollection.Name)]
public sealed class TwoNodeFirewallTests(TwoNodeFixture f) : IClassFixture<TwoNodeFixture>
{
    private const string A = TwoNodeFixture.NsA, B = TwoNodeFixture.NsB;

    [LiveFact]
    public async Task Tcp_from_A_to_B_transfers_one_megabyte_intact() =>
        await Ctx(() => FirewallScenario.TcpOneMegabyteAtoB(A, B, TwoNodeFixture.IpB));

    [LiveFact]
    public async Task New_connections_from_B_to_A_are_blocked() =>
        await Ctx(() => FirewallScenario.NewConnectionsFromBAreBlocked(A, B, TwoNodeFixture.IpA));

    [LiveFact]
    public async Task Ping_from_A_to_B_works() =>
        await Ctx(() => { FirewallScenario.PingAtoB(A, TwoNodeFixture.IpB); return Task.CompletedTask; });

    [LiveFact]
    public async Task Udp_datagram_of_4000_bytes_fragmented_by_the_sender_arrives_whole() =>
        await Ctx(() => FirewallScenario.FragmentedUdpArrivesWhole(A, B, TwoNodeFixture.IpB));

    [LiveFact]
    public async Task Ftp_passive_and_active_through_the_ftp_alg() =>
        await Ctx(() => { FirewallScenario.FtpPassiveAndActive(A, B, TwoNodeFixture.IpB); return Task.CompletedTask; });

    private async Task Ctx(Func<Task> check)
    {
        try { await check(); }
        catch (Exception e)
        {
            var o = f.Ctl("ports") + f.Ctl("dump-conntrack");
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- n1 ports, conntrack:\n{o}\n--- n1 log:\n{f.Node1?.Log}\n--- n2 log:\n{f.Node2?.Log}\n{e}");
        }
    }
}
