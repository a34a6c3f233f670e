using System.Net;
using System.Net.Http.Json;
using Switch.Contracts.Control;
using Switch.Node.Control;
using Xunit;

namespace Switch.Tests.Control;

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
}
