using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switch.Node.Metrics;
using Switch.Tests.Cluster;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Status;

/// <summary>
/// deploy/monitoring as Grafana and Prometheus read it: the dashboard has the fields Grafana needs, every PromQL
/// expression of the dashboard and the alert rules names only metrics a running cluster member really exports (scraped
/// after traffic, so labelled series exist), and promtool accepts the rules file.
/// </summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public sealed class MonitoringTests
{
    private static string Monitoring(string file)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "deploy", "monitoring", file);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"deploy/monitoring/{file} not found above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<string> DashboardExprs(JsonElement dash) =>
        dash.GetProperty("panels").EnumerateArray().SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!);

    private static IEnumerable<string> RuleExprs(string yaml) =>
        Regex.Matches(yaml, @"^\s+expr:\s*(.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.Trim());

    [Fact]
    public void The_dashboard_has_what_grafana_needs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Monitoring("dswitch-dashboard.json")));
        var d = doc.RootElement;
        Assert.Equal("dswitch-cluster", d.GetProperty("uid").GetString());
        Assert.False(string.IsNullOrEmpty(d.GetProperty("title").GetString()));
        Assert.True(d.GetProperty("schemaVersion").GetInt32() >= 36);
        var panels = d.GetProperty("panels").EnumerateArray().ToList();
        Assert.True(panels.Count >= 10);
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var p in panels)
        {
            Assert.Contains(p.GetProperty("type").GetString(), new[] { "timeseries", "stat" });
            foreach (var k in new[] { "h", "w", "x", "y" }) Assert.True(p.GetProperty("gridPos").GetProperty(k).GetInt32() >= 0);
            var targets = p.GetProperty("targets").EnumerateArray().ToList();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("refId").GetString())));
        }
        // Balanced brackets in every expression (a typo Grafana would only show as a broken panel).
        foreach (var e in DashboardExprs(d))
            foreach (var (open, close) in new[] { ('(', ')'), ('{', '}'), ('[', ']') })
                Assert.True(e.Count(c => c == open) == e.Count(c => c == close), $"unbalanced {open}{close} in {e}");
    }

    [Fact]
    public async Task Every_expression_names_metrics_a_member_exports()
    {
        await using var tc = await TestCluster.StartAsync(1);
        await tc.AddFlowsAsync(0, "table=0,priority=20,udp,tp_dst=9 actions=drop", "table=0,priority=10,ip actions=ct(commit,zone=3),output:2");
        await tc.InjectAsync(0, 1, UdpV4("10.0.0.1", "10.0.0.2", 5000, 9), TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 1));
        var metrics = new NodeMetrics(tc.Nodes[0]);
        var text = "";
        await Eventually.Async(async () =>
        {
            using var ms = new MemoryStream();
            await metrics.WriteAsync(ms, CancellationToken.None);
            text = System.Text.Encoding.UTF8.GetString(ms.ToArray());
            return text.Contains("dswitch_conntrack_entries{zone=\"3\"} 1");
        }, "the member never exported its connection");
        var exported = Regex.Matches(text, @"^# TYPE (\w+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();

        using var doc = JsonDocument.Parse(File.ReadAllText(Monitoring("dswitch-dashboard.json")));
        var exprs = DashboardExprs(doc.RootElement).Concat(RuleExprs(File.ReadAllText(Monitoring("alerts.yml")))).ToList();
        Assert.True(exprs.Count > 20);
        var used = exprs.SelectMany(e => Regex.Matches(e, @"\bdswitch_\w+").Select(m => m.Value)).ToHashSet();
        Assert.Empty(used.Except(exported));
        // Prometheus conventions: counters end in _total, and units are base units (seconds).
        Assert.All(Regex.Matches(text, @"^# TYPE (\w+) counter", RegexOptions.Multiline), m => Assert.EndsWith("_total", m.Groups[1].Value));
        Assert.DoesNotContain(exported, n => n.Contains("_ms") || n.Contains("millis"));
    }

    [Fact]
    public async Task Promtool_accepts_the_alert_rules()
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("promtool not found: apt-get install prometheus (bash .ci/run installs it)");
        var psi = new ProcessStartInfo(promtool) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("check"); psi.ArgumentList.Add("rules"); psi.ArgumentList.Add(Monitoring("alerts.yml"));
        using var p = Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, output);
        Assert.Contains("SUCCESS: 7 rules found", output);
    }
}
