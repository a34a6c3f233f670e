using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Switch.Contracts.Control;
using Switch.Node.Commands;
using Switch.Node.Control;
using Switch.Node.Metrics;
using Switch.Node.Security;
using Switch.Testing;
using Switch.Tests.Control;
using Xunit;

namespace Switch.Tests.Security;

/// <summary>The control API as the secured default serves it (HTTPS, tokens with roles), probed as a stranger, a reader,
/// an admin and a browser would: every endpoint, every credential.</summary>
[Trait("Category", Tiers.Unit)]
public class ApiSecurityTests : ControlServer
{
    /// <summary>Every endpoint with a body it accepts, and the role it needs (null: open).</summary>
    public static readonly TheoryData<string, string, string?, string?> Endpoints = new()
    {
        { "POST", "flows", """{"flows":["table=0,priority=1 actions=drop"]}""", "admin" },
        { "POST", "flows/mod", """{"flow":"table=0,priority=1 actions=drop","strict":false}""", "admin" },
        { "POST", "flows/del", """{"match":null,"strict":false}""", "admin" },
        { "POST", "conntrack/flush", """{"zone":null,"tuple":null}""", "admin" },
        { "POST", "packet-out", """{"node":null,"inPort":1,"packetsHex":["X"]}""".Replace("X", SynAToB), "admin" },
        { "POST", "trace", """{"packet":"in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80"}""", "reader" },
        { "GET", "flows", null, "reader" },
        { "GET", "conntrack", null, "reader" },
        { "GET", "ports", null, "reader" },
        { "GET", "cluster", null, "reader" },
        { "GET", "status", null, "reader" },
        { "GET", "", null, "reader" },
        { "GET", "metrics", null, "reader" },
        { "GET", "health/live", null, null },
        { "GET", "health/ready", null, null },
    };

    protected override NodeMetrics? Metrics => new(Control.Stats, Control.Settings.MaxConnections);

    private async Task<HttpResponseMessage> Send(string method, string path, string? body, AuthenticationHeaderValue? auth,
        string contentType = "application/json")
    {
        var req = new HttpRequestMessage(new HttpMethod(method), path);
        req.Headers.ExpectContinue = body is { Length: > 1 << 20 }; // as ControlClient does: a refusal comes before the upload
        if (body is not null) req.Content = new StringContent(body, Encoding.UTF8, contentType);
        req.Headers.Authorization = auth; // null: none (the fixture's default header is replaced per request)
        return await Anonymous.SendAsync(req);
    }

    private static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);
    private static AuthenticationHeaderValue Basic(string token) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("anyone:" + token)));

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Each_endpoint_answers_by_role(string method, string path, string? body, string? role)
    {
        using var none = await Send(method, path, body, null);
        using var wrong = await Send(method, path, body, Bearer("dsw_not-a-token"));
        using var reader = await Send(method, path, body, Bearer(TestPki.ReaderToken));
        using var admin = await Send(method, path, body, Bearer(TestPki.AdminToken));
        if (role is null)
        {
            Assert.Equal(HttpStatusCode.OK, none.StatusCode);
            return;
        }
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Contains(none.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.StartsWith("authentication required", await ErrorOf(none));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid API token", await ErrorOf(wrong));
        if (role == "admin")
        {
            Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
            Assert.Equal($"token 'reader' has role reader; {method} /{path} needs admin", await ErrorOf(reader));
        }
        else Assert.True(reader.IsSuccessStatusCode, $"reader on {method} /{path}: {(int)reader.StatusCode} {await reader.Content.ReadAsStringAsync()}");
        Assert.True(admin.IsSuccessStatusCode, $"admin on {method} /{path}: {(int)admin.StatusCode} {await admin.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_browser_reads_with_basic_authentication_but_can_never_change_anything()
    {
        using var page = await Send("GET", "", null, null);
        Assert.Equal(HttpStatusCode.Unauthorized, page.StatusCode);
        Assert.Contains(page.Headers.WwwAuthenticate, h => h.Scheme == "Basic"); // the browser's login prompt
        using var read = await Send("GET", "", null, Basic(TestPki.ReaderToken));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("<html", await read.Content.ReadAsStringAsync());
        using var status = await Send("GET", "status", null, Basic(TestPki.ReaderToken));
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        // Remembered Basic credentials ride along on a cross-site request: with them, not even the admin token changes flows.
        using var change = await Send("POST", "flows", """{"flows":["table=0,priority=65535 actions=drop"]}""", Basic(TestPki.AdminToken));
        Assert.Equal(HttpStatusCode.Forbidden, change.StatusCode);
        Assert.Contains("Basic authentication is for reading", await ErrorOf(change));
        Assert.Empty(await Flows());
    }

    [Fact]
    public async Task Only_json_bodies_are_taken_so_no_web_page_can_forge_a_request()
    {
        // What a cross-site form or a simple fetch() can send without a preflight: refused before it is read.
        foreach (var type in new[] { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data" })
        {
            using var res = await Send("POST", "flows", """{"flows":["table=0,priority=65535 actions=drop"]}""", Bearer(TestPki.AdminToken), type);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, res.StatusCode);
            Assert.StartsWith("expected Content-Type: application/json", await ErrorOf(res));
        }
        Assert.Empty(await Flows());
        // No CORS: a preflight gets no Access-Control-Allow-* header.
        var pre = new HttpRequestMessage(HttpMethod.Options, "flows");
        pre.Headers.Add("Origin", "https://evil.example");
        pre.Headers.Add("Access-Control-Request-Method", "POST");
        using var answer = await Anonymous.SendAsync(pre);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Oversized_requests_are_413_with_one_line_and_change_nothing()
    {
        var big = new string('x', (int)ApiLimits.BodyBytes + 1024);
        using var body = await Send("POST", "flows", "{\"flows\":[\"" + big + "\"]}", Bearer(TestPki.AdminToken));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, body.StatusCode);
        Assert.StartsWith("request body", await ErrorOf(body));

        var many = Enumerable.Range(0, ApiLimits.FlowsPerRequest + 1).Select(i => $"table=0,priority=1,tcp,tp_dst={i % 65536} actions=drop");
        var (status, error) = await PostError("flows", new AddFlowsRequest(many.ToList()));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal($"{ApiLimits.FlowsPerRequest + 1} flows in one request; at most {ApiLimits.FlowsPerRequest} (send the table in several)", error);

        (status, error) = await PostError("packet-out", new PacketOutRequest(null, 1, Enumerable.Repeat(SynAToB, ApiLimits.PacketOutFrames + 1).ToList()));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal($"{ApiLimits.PacketOutFrames + 1} frames in one packet-out; at most {ApiLimits.PacketOutFrames}", error);
        (status, error) = await PostError("packet-out", new PacketOutRequest(null, 1, new[] { new string('0', 2 * (ApiLimits.PacketOutFrameBytes + 1)) }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal($"packet 0: a frame of {ApiLimits.PacketOutFrameBytes + 1} bytes; at most {ApiLimits.PacketOutFrameBytes}", error);
        Assert.Empty(await Flows());
    }

    [Fact]
    public async Task Denials_are_counted_by_reason_in_the_metrics()
    {
        (await Send("GET", "flows", null, null)).Dispose();
        (await Send("GET", "flows", null, Bearer("dsw_nope"))).Dispose();
        (await Send("POST", "conntrack/flush", """{"zone":null,"tuple":null}""", Bearer(TestPki.ReaderToken))).Dispose();
        using var m = await Send("GET", "metrics", null, Bearer(TestPki.ReaderToken));
        var text = await m.Content.ReadAsStringAsync();
        Assert.Equal(2, Deploy.MetricsEndpointTests.Value(text, "dswitch_api_denied_total", "reason=\"unauthenticated\""));
        Assert.Equal(1, Deploy.MetricsEndpointTests.Value(text, "dswitch_api_denied_total", "reason=\"forbidden\""));
    }

    [Fact]
    public async Task Tls_only_and_the_client_checks_the_cluster_ca_and_the_host_name()
    {
        // Plain HTTP at the TLS port gets no API.
        using (var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            var ok = false;
            try { ok = (await plain.GetAsync(Url.Replace("https://", "http://") + "/health/live")).IsSuccessStatusCode; }
            catch (HttpRequestException) { }
            Assert.False(ok, "the API answered plain HTTP");
        }
        // A client that trusts only the public roots, or another cluster's CA, refuses the node: one line, no request sent.
        foreach (var trust in new CaBundle?[] { null, CaBundle.Of(ClusterPki.Create("another CA").Ca) })
        {
            using var c = new ControlClient(Url, TestPki.AdminToken, trust, TimeSpan.FromSeconds(5));
            var e = await Assert.ThrowsAsync<ControlClientException>(() => c.ClusterAsync());
            Assert.Contains("TLS failed: the node's certificate is not trusted", e.Message);
        }
        // The right CA, but a certificate that does not name the host dialled, is refused as any HTTPS client refuses it.
        using var member = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(TestPki.Dir, NodeSecurity.CertFile));
        Assert.True(TestPki.Trust.ValidateServer(member, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(TestPki.Trust.ValidateServer(member, System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch));
        using var good = TestPki.Client(Url);
        Assert.Equal("n1", (await good.ClusterAsync()).Members.Single().Name);
    }

    [Fact]
    public void The_cli_takes_the_token_from_a_flag_a_file_or_the_environment_and_errors_stay_one_line()
    {
        var tokenFile = Path.Combine(Path.GetTempPath(), $"dswitch-token-{Guid.NewGuid():N}");
        File.WriteAllText(tokenFile, TestPki.ReaderToken + "\n");
        try
        {
            // The environment (DSWITCH_TOKEN, DSWITCH_CACERT: the admin's, set for the test process) …
            var (code, _, err) = Ctl("add-flow", "table=0,priority=1 actions=drop");
            Assert.Equal((0, ""), (code, err));
            // … a flag overrides it, a reader's token from a file is refused a change, no token is asked for one.
            (code, _, err) = Ctl("--token", "@" + tokenFile, "del-flows");
            Assert.Equal(1, code);
            Assert.Equal("dswitch: token 'reader' has role reader; POST /flows/del needs admin", err.Trim());
            (code, var o, err) = Ctl("--token", "@" + tokenFile, "dump-flows");
            Assert.Equal((0, ""), (code, err));
            Assert.Contains("actions=drop", o);
            (code, _, err) = Ctl("--token", "", "dump-flows");
            Assert.Equal(1, code);
            Assert.Equal("dswitch: authentication required: send an API token (dswitch ctl --token, or DSWITCH_TOKEN)", err.Trim());
            (code, _, err) = Ctl("--cacert", "/nonexistent/ca.crt", "dump-flows");
            Assert.Equal("dswitch: --cacert: file '/nonexistent/ca.crt' not found", err.Trim());
            (code, _, err) = Ctl("--seed", Url.Replace("https://", "http://"), "dump-flows");
            Assert.StartsWith("dswitch: --seed expects an https:// URL", err.Trim());
        }
        finally { File.Delete(tokenFile); }
    }

    private (int Code, string Out, string Err) Ctl(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var all = args.Contains("--seed") ? args : new[] { "--seed", Url }.Concat(args).ToArray();
        int code = CtlCommand.Run(all, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
