using System.Net;
using Switch.Contracts.Control;
using Xunit;

namespace Switch.Tests.Control;

[Trait("Category", Tiers.Unit)]
public class ControlApiFlowTests : ControlServer
{
    [Fact]
    public async Task Added_flows_come_back_from_dump_flows_in_ovs_ofctl_form()
    {
        var r = await PostOk<FlowModResult>("flows", new AddFlowsRequest(new[]
        {
            "table=1,priority=5,udp actions=drop",
            "cookie=0x5,table=0,priority=10,tcp,tp_dst=80 actions=output:3",
        }));
        Assert.Equal(2, r.Affected);
        Assert.Equal(1, r.Version);
        var lines = await Flows();
        Assert.Equal(2, lines.Count);
        Assert.Matches(@"^ cookie=0x5, duration=\d+\.\d{3}s, table=0, n_packets=0, n_bytes=0, priority=10,tcp,tp_dst=80 actions=output:3$", lines[0]);
        Assert.EndsWith("table=1, n_packets=0, n_bytes=0, priority=5,udp actions=drop", lines[1]);
        Assert.Single(await Flows("table=1"));
        // Each change moves the version on.
        Assert.Equal(2, (await PostOk<FlowModResult>("flows", new AddFlowsRequest(new[] { "priority=1 actions=drop" }))).Version);
    }

    [Fact]
    public async Task A_bad_flow_is_400_naming_flow_and_column_and_nothing_is_applied()
    {
        var (status, error) = await PostError("flows", new AddFlowsRequest(new[]
        {
            "table=0,priority=10,ip actions=output:2",
            "table=0,priority=10,tcp,tp_dst=http actions=drop",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("flow 2: column 32: ", error);
        Assert.Contains("tp_dst", error);
        Assert.Empty(await Flows());
        Assert.Equal(0, Control.Version);
    }

    [Fact]
    public async Task Bad_match_text_and_bad_json_are_400_error_responses()
    {
        using var dump = await Http.GetAsync("flows?match=" + Uri.EscapeDataString("tp_dst=80"));
        Assert.Equal(HttpStatusCode.BadRequest, dump.StatusCode);
        Assert.StartsWith("match: column 1: tp_dst requires", await ErrorOf(dump));

        using var broken = await Http.PostAsync("flows", new StringContent("{\"flows\":[", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.StartsWith("bad JSON", await ErrorOf(broken));

        using var missing = await Http.PostAsync("flows", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("flows", await ErrorOf(missing));

        var (status, error) = await PostError("flows/mod", new ModFlowsRequest("priority=5,ip", false));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("actions=", error);
    }

    [Fact]
    public async Task Mod_flows_loose_changes_every_covered_flow_strict_only_the_exact_one()
    {
        await PostOk<FlowModResult>("flows", new AddFlowsRequest(new[]
        {
            "priority=10,tcp,tp_dst=80 actions=output:2",
            "priority=20,tcp,tp_dst=80 actions=output:2",
            "priority=10,udp actions=output:2",
        }));
        var loose = await PostOk<FlowModResult>("flows/mod", new ModFlowsRequest("tcp actions=output:3", false));
        Assert.Equal(2, loose.Affected);
        Assert.Equal(2, (await Flows()).Count(l => l.EndsWith("actions=output:3")));

        var strict = await PostOk<FlowModResult>("flows/mod", new ModFlowsRequest("priority=20,tcp,tp_dst=80 actions=output:4", true));
        Assert.Equal(1, strict.Affected);
        var lines = await Flows();
        Assert.Contains(lines, l => l.EndsWith("priority=20,tcp,tp_dst=80 actions=output:4"));
        Assert.Contains(lines, l => l.EndsWith("priority=10,tcp,tp_dst=80 actions=output:3"));
        Assert.Contains(lines, l => l.EndsWith("priority=10,udp actions=output:2"));
    }

    [Fact]
    public async Task Del_flows_loose_strict_and_all()
    {
        await PostOk<FlowModResult>("flows", new AddFlowsRequest(new[]
        {
            "priority=10,tcp,tp_dst=80 actions=output:2",
            "priority=20,tcp,tp_dst=80 actions=output:2",
            "table=1,priority=10,udp actions=output:2",
        }));
        var strict = await PostOk<FlowModResult>("flows/del", new DelFlowsRequest("priority=20,tcp", true));
        Assert.Equal(0, strict.Affected); // strict needs the exact match: tcp alone is not tcp,tp_dst=80
        Assert.Equal(1, (await PostOk<FlowModResult>("flows/del", new DelFlowsRequest("priority=20,tcp,tp_dst=80", true))).Affected);
        Assert.Equal(2, (await Flows()).Count);

        Assert.Equal(1, (await PostOk<FlowModResult>("flows/del", new DelFlowsRequest("tcp", false))).Affected);
        var last = await Flows();
        Assert.Single(last);
        Assert.Contains("table=1", last[0]);
        Assert.Equal(1, (await PostOk<FlowModResult>("flows/del", new DelFlowsRequest(null, false))).Affected);
        Assert.Empty(await Flows());
    }
}
