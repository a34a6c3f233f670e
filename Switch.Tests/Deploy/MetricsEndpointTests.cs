using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Switch.Contracts.Control;
using Switch.Node.Cluster;
using Switch.Node.Control;
using Switch.Node.Metrics;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Deploy;

/// <summary>
/// /metrics on the bootstrapped cluster: every node serves the control API with its metrics; flows go to one node,
/// traffic enters through packet-out, and the scrapes show the counters move.
/// </summary>
[Trait("Category", Tiers.Process)]
[Collection(BootstrapClusterCollection.Name)]
public sealed class MetricsEndpointTests : IAsyncLifetime
{
    private readonly BootstrapCluster _c;
    private readonly List<WebApplication> _apps = new();
    private readonly List<HttpClient> _http = new();

    public MetricsEndpointTests(BootstrapCluster c) => _c = c;

    public async Task InitializeAsync()
    {
        foreach (var node in _c.Nodes)
        {
            var app = ControlHost.Build("https://127.0.0.1:0", new ClusterSwitchControl(node), global::Switch.Testing.TestPki.Security, () => true, new NodeMetrics(node));
            await app.StartAsync();
            _apps.Add(app);
            _http.Add(global::Switch.Testing.TestPki.Http(ControlHost.BoundUrl(app), global::Switch.Testing.TestPki.AdminToken, TimeSpan.FromSeconds(30)));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var h in _http) h.Dispose();
        foreach (var a in _apps) { await a.StopAsync(); await a.DisposeAsync(); }
    }

    [Fact]
    public async Task Scrape_after_packet_out_shows_packets_drops_ct_decisions_entries_and_membership()
    {
        var before = await Scrape(0);
        Assert.Equal(3, Value(before, "dswitch_cluster_members", "status=\"up\""));
        double decisionsBefore = Value(before, "dswitch_ct_decisions_total");

        var add = await _http[0].PostAsJsonAsync("flows", new AddFlowsRequest(new List<string>
        {
            "table=0,priority=20,udp,tp_dst=9 actions=drop",
            "table=0,priority=10,ip actions=ct(table=1,zone=7)",
            "table=1,priority=20,ip,ct_state=+trk+new actions=ct(commit,zone=7),output:2",
            "table=1,priority=1 actions=drop",
        }), ControlJson.Options);
        Assert.True(add.IsSuccessStatusCode, await add.Content.ReadAsStringAsync());

        var frames = Enumerable.Range(0, 5).Select(i => HexFrame.Format(TcpV4("10.0.0.1", "10.0.0.2", (ushort)(40000 + i), 80, Syn, 1000, 0)))
            .Append(HexFrame.Format(UdpV4("10.0.0.1", "10.0.0.2", 5000, 9))).ToList();
        var res = await _http[0].PostAsJsonAsync("packet-out", new PacketOutRequest(null, 1, frames), ControlJson.Options);
        Assert.True(res.IsSuccessStatusCode, await res.Content.ReadAsStringAsync());
        var outcome = (await res.Content.ReadFromJsonAsync<PacketOutResult>(ControlJson.Options))!;
        Assert.Equal(5, outcome.Frames.Count(f => f.Outputs.Contains(2u)));

        var after = await Scrape(0);
        Assert.Equal(6, Value(after, "dswitch_port_packets_total", "port=\"1\"", "action=\"rx\""));
        Assert.Equal(5, Value(after, "dswitch_port_packets_total", "port=\"2\"", "action=\"tx\""));
        Assert.Equal(1, Value(after, "dswitch_drops_total", "reason=\"drop_action\""));
        // Each SYN: one ct call to recirculate, one to commit.
        Assert.True(Value(after, "dswitch_ct_decisions_total") >= decisionsBefore + 10);
        // The journal metrics are exported (this cluster keeps conntrack in memory, so they stay at zero here;
        // RecoveryExpiryTests checks that durable entities move them).
        Assert.Contains("dswitch_journal_write_seconds_total", after);
        Assert.Equal(3, Value(after, "dswitch_cluster_members", "status=\"up\""));

        // The five connections live on whichever nodes own their shards: summed over the nodes, zone 7 holds five.
        double entries = 0, shards = 0;
        for (int i = 0; i < _c.Nodes.Count; i++)
        {
            var text = await Scrape(i);
            entries += Value(text, "dswitch_conntrack_entries", "zone=\"7\"");
            shards += Value(text, "dswitch_cluster_shards");
            Assert.Contains("dswitch_conntrack_expectations ", text);
            Assert.Contains("dswitch_reassembly_in_progress ", text);
        }
        Assert.Equal(5, entries);
        Assert.True(shards >= 1);
    }

    private async Task<string> Scrape(int node)
    {
        using var res = await _http[node].GetAsync("metrics");
        Assert.True(res.IsSuccessStatusCode);
        Assert.StartsWith("text/plain", res.Content.Headers.ContentType?.ToString());
        return await res.Content.ReadAsStringAsync();
    }

    /// <summary>The value of the sample of <paramref name="name"/> whose labels include all of <paramref name="labels"/>; 0 when absent.</summary>
    internal static double Value(string text, string name, params string[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            var m = Regex.Match(line, @"^([a-z_]+)(\{[^}]*\})? (\S+)");
            if (!m.Success || m.Groups[1].Value != name) continue;
            if (labels.All(l => m.Groups[2].Value.Contains(l))) return double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
