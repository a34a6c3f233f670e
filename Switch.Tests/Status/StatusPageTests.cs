using Switch.Testing;
using System.Text.RegularExpressions;
using Switch.Contracts.Control;
using Switch.Node.Commands;
using Switch.Node.Control;
using Switch.Tests.Cluster;
using Switch.Tests.Failover;
using Xunit;
using Xunit.Abstractions;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Status;

/// <summary>
/// The status page as a person sees it: three real `dswitch run` processes, traffic through the shipped firewall, the
/// page at / of the seed opened in headless Chromium. It shows the members, the connection count and the drop reason;
/// after a member is SIGKILLed it shows that member as unreachable or gone. Screenshots are kept in the test output
/// (TestResults/status-page-*.png beside the test assembly).
/// </summary>
[Trait("Category", Tiers.Process)]
[Collection("cluster")]
public sealed class StatusPageTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-status-").FullName;
    private readonly List<NodeProcess> _nodes = new();

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static string Row(string dom, string member)
    {
        var m = Regex.Match(dom, $"<tr data-member=\"{member}\">(.*?)</tr>", RegexOptions.Singleline);
        Assert.True(m.Success, $"no row for {member} on the page:\n{dom}");
        return m.Groups[1].Value;
    }

    private string Screenshot(string name) => Path.Combine(AppContext.BaseDirectory, "TestResults", $"status-page-{name}.png");

    [Fact]
    public async Task The_page_shows_members_connections_and_drops_and_a_killed_member()
    {
        int seedAkka = TestCluster.FreePort();
        string seed = $"akka.ssl.tcp://dswitch@127.0.0.1:{seedAkka}";
        for (int i = 1; i <= 3; i++)
            _nodes.Add(NodeProcess.Start(_dir, $"n{i}", i == 1 ? seedAkka : TestCluster.FreePort(), seed, null, "\"1\":{},\"2\":{}"));
        foreach (var n in _nodes) await n.WaitReadyAsync(TimeSpan.FromSeconds(60));
        var seedApi = global::Switch.Testing.TestPki.Client(_nodes[0].Api, TimeSpan.FromSeconds(30));
        await Eventually.Async(async () => (await seedApi.ClusterAsync()).Members.Count(m => m.Status == "Up") == 3, "the cluster did not form");
        await seedApi.AddFlowsAsync(new AddFlowsRequest(SamplesCommand.Firewall.Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && l[0] != '#').ToList()));

        // Inside opens two connections through n1 (committed); outside's SYN through n2 is dropped by the firewall.
        var inside = await seedApi.PacketOutAsync(new PacketOutRequest("n1", 1, new[]
        {
            HexFrame.Format(TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 1000)),
            HexFrame.Format(TcpV4("10.0.0.1", "10.0.0.2", 40001, 443, Syn, 2000)),
        }));
        Assert.All(inside.Frames, f => Assert.Equal("+new+trk", f.CtState));
        var outside = await seedApi.PacketOutAsync(new PacketOutRequest("n2", 2, new[]
            { HexFrame.Format(TcpV4("10.0.0.2", "10.0.0.1", 41000, 22, Syn, 9000, dlSrc: MacB, dlDst: MacA)) }));
        Assert.Equal("drop_action", outside.Frames[0].Drop);

        // As a person opens it: the reader token as the Basic password the browser sends (here in the address).
        string url = _nodes[0].Api.Replace("https://", $"https://reader:{Uri.EscapeDataString(global::Switch.Testing.TestPki.ReaderToken)}@") + "/";
        var dom = await Chromium.DumpDomAsync(url);
        foreach (var n in new[] { "n1", "n2", "n3" }) Assert.Contains(">up<", Row(dom, n));
        Assert.Contains("n1 (this node)", Row(dom, "n1"));
        Assert.Matches("id=\"c-members\">3 / 3<", dom);
        Assert.Matches("id=\"c-conns\">2<", dom);
        Assert.Matches("<tr data-reason=\"drop_action\"><td>drop_action</td><td class=\"num\">1</td>", dom);
        Assert.Contains("ct_state=+new+trk", dom); // a firewall flow in the busiest-flows table
        await Chromium.ScreenshotAsync(url, Screenshot("3-members"));
        output.WriteLine($"screenshot: {Screenshot("3-members")}");

        // SIGKILL n3: the page shows it unreachable, then gone once the majority has downed it.
        _nodes[2].Process.Kill();
        string row = "";
        await Eventually.Async(async () =>
        {
            row = Row(await Chromium.DumpDomAsync(url, 3000), "n3");
            return row.Contains(">unreachable<") || row.Contains(">gone (removed from the cluster)<");
        }, "the page did not show n3 as lost", TimeSpan.FromSeconds(60));
        output.WriteLine($"n3 after SIGKILL: {Regex.Match(row, "badge [a-z]+\">([^<]+)<").Groups[1].Value}");
        await Chromium.ScreenshotAsync(url, Screenshot("n3-killed"));
        Assert.True(new FileInfo(Screenshot("n3-killed")).Length > 10_000, "the screenshot is empty");
    }
}
