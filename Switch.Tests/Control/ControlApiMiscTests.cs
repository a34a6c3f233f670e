using System.Net;
using System.Net.Http.Json;
using Switch.Contracts.Control;
using Switch.Node.Control;
using Xunit;

namespace Switch.Tests.Control;

[Trait("Category", Tiers.Unit)]
public class ControlApiMiscTests : ControlServer
{
    private bool _ready;
    protected override Func<bool>? Ready => () => _ready;

    [Fact]
    public async Task Trace_answers_the_trace_text_without_touching_the_live_switch()
    {
        await AddFirewall();
        var t = await PostOk<TextAnswer>("trace", new TraceRequest("in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80,tcp_flags=syn"));
        Assert.StartsWith("Flow: tcp,in_port=1,", t.Text);
        Assert.Contains("recirculate: ct_state=+new+trk,ct_zone=1,ct_mark=0x0", t.Text);
        Assert.Contains("ct(commit,zone=1),output:2", t.Text);
        Assert.Contains("Datapath actions: output:2", t.Text);
        Assert.Empty(await Conntrack());
        Assert.DoesNotContain(await Flows(), l => !l.Contains("n_packets=0"));

        var (status, error) = await PostError("trace", new TraceRequest("in_port=1,tcp,tp_dst=http"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith("packet description: column 22:", error);
    }

    [Fact]
    public async Task Cluster_shows_this_node_alone()
    {
        var c = (await Http.GetFromJsonAsync<ClusterStatus>("cluster", ControlJson.Options))!;
        Assert.Equal("n1", c.Leader);
        var m = Assert.Single(c.Members);
        Assert.True(m.Self);
        Assert.Equal(("n1", "Up", Url), (m.Name, m.Status, m.ApiUrl));
    }

    [Fact]
    public async Task Health_live_always_ready_when_the_control_says_so()
    {
        Assert.Equal("ok", await Http.GetStringAsync("health/live"));
        using (var notReady = await Http.GetAsync("health/ready")) Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        _ready = true;
        using var ready = await Http.GetAsync("health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Unknown_paths_and_methods_answer_json_errors_not_pages()
    {
        using var missing = await Http.GetAsync("nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("/nope", await ErrorOf(missing));
        using var method = await Http.DeleteAsync("flows");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, method.StatusCode);
        Assert.Contains("DELETE", await ErrorOf(method));
    }

    [Fact]
    public async Task Status_reports_the_node_its_drops_and_busiest_flows_and_the_page_is_served_at_the_root()
    {
        await AddFirewall();
        await PostOk<PacketOutResult>("packet-out", new PacketOutRequest(null, 1, new[] { SynAToB }));
        await PostOk<PacketOutResult>("packet-out", new PacketOutRequest(null, 2,
            new[] { Hex(Core.Packets.FrameBuilder.TcpV4(B, A, 41000, 22, Core.Packets.FrameBuilder.Syn, 9000)) }));
        var st = (await Http.GetFromJsonAsync<StatusReport>("status", ControlJson.Options))!;
        Assert.Equal(("n1", false), (st.Node, st.Clustered));
        var me = Assert.Single(st.Members);
        Assert.Equal(("n1", "Up", true, 1), (me.Name, me.Status, me.Answered, me.Connections));
        Assert.Equal(1, me.Drops["drop_action"]);
        Assert.Equal(12, st.FlowCount);
        Assert.True(st.TopFlows.Count <= 20);
        Assert.Equal(2, st.TopFlows[0].Packets);
        Assert.Contains("actions=ct(table=1,zone=1)", st.TopFlows[0].Flow);

        using var page = await Http.GetAsync("");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<title>DistSwitch status</title>", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "")); // nothing fetched from elsewhere
    }
}
