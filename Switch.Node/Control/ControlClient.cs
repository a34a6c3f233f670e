using System.Net.Http.Json;
using System.Text.Json;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>
/// The control API seen from outside: one typed call per endpoint. Every failure becomes a
/// <see cref="ControlClientException"/> carrying the server's <see cref="ErrorResponse"/> message, or
/// "cannot reach seed URL: reason" when no answer came, so callers have one line to show.
/// </summary>
public sealed class ControlClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;

    /// <param name="token">The API token (sent as a bearer token); null sends none (only /health answers then).</param>
    /// <param name="trust">The CA bundle the node's certificate must chain to (and name the host dialled); null: the
    /// system's public roots, as for any HTTPS site.</param>
    public ControlClient(string baseUrl, string? token = null, Security.CaBundle? trust = null, TimeSpan? timeout = null)
    {
        BaseUrl = baseUrl.TrimEnd('/');
        var handler = new HttpClientHandler();
        if (trust is not null) handler.ServerCertificateCustomValidationCallback = (_, cert, _, errors) => trust.ValidateServer(cert, errors);
        _http = new HttpClient(handler) { BaseAddress = new Uri(BaseUrl + "/"), Timeout = timeout ?? DefaultTimeout };
        // A refused request (401, 403, 413) is answered before its body is uploaded, and the answer is read, not lost
        // to a reset connection.
        _http.DefaultRequestHeaders.ExpectContinue = true;
        if (token is not null) _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    }

    public string BaseUrl { get; }

    public Task<FlowModResult> AddFlowsAsync(AddFlowsRequest r) => Post<AddFlowsRequest, FlowModResult>("flows", r);
    public Task<FlowModResult> ModFlowsAsync(ModFlowsRequest r) => Post<ModFlowsRequest, FlowModResult>("flows/mod", r);
    public Task<FlowModResult> DelFlowsAsync(DelFlowsRequest r) => Post<DelFlowsRequest, FlowModResult>("flows/del", r);

    public async Task<IReadOnlyList<string>> DumpFlowsAsync(string? match) =>
        (await Get<FlowsAnswer>("flows" + Query("match", match))).Flows;

    public async Task<IReadOnlyList<string>> DumpConntrackAsync(ushort? zone) =>
        // A cluster streams its members' pages unordered: the CLI prints them sorted, as a single node does.
        (await Get<EntriesAnswer>("conntrack" + Query("zone", zone?.ToString()))).Entries.Order(StringComparer.Ordinal).ToList();

    public Task<FlushConntrackResult> FlushConntrackAsync(FlushConntrackRequest r) =>
        Post<FlushConntrackRequest, FlushConntrackResult>("conntrack/flush", r);

    public async Task<string> TraceAsync(TraceRequest r) => (await Post<TraceRequest, TextAnswer>("trace", r)).Text;
    public Task<PacketOutResult> PacketOutAsync(PacketOutRequest r) => Post<PacketOutRequest, PacketOutResult>("packet-out", r);
    public Task<ClusterStatus> ClusterAsync() => Get<ClusterStatus>("cluster");
    public Task<StatusReport> StatusAsync() => Get<StatusReport>("status");
    public Task<PortsStatus> PortsAsync() => Get<PortsStatus>("ports");

    // The answers that wrap a list or a text in an object (so the API can grow fields without breaking clients).
    private sealed record FlowsAnswer(IReadOnlyList<string> Flows);
    private sealed record EntriesAnswer(IReadOnlyList<string> Entries);
    private sealed record TextAnswer(string Text);

    private static string Query(string name, string? value) =>
        string.IsNullOrEmpty(value) ? "" : $"?{name}={Uri.EscapeDataString(value)}";

    private Task<TRes> Get<TRes>(string path) => Send<TRes>(() => _http.GetAsync(path));

    private Task<TRes> Post<TReq, TRes>(string path, TReq body) =>
        Send<TRes>(() => _http.PostAsJsonAsync(path, body, ControlJson.Options));

    private async Task<TRes> Send<TRes>(Func<Task<HttpResponseMessage>> call)
    {
        HttpResponseMessage res;
        try { res = await call(); }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            throw Unreachable("TLS failed: the node's certificate is not trusted (give its CA with --cacert or DSWITCH_CACERT) or does not name this host", e);
        }
        catch (HttpRequestException e) { throw Unreachable(e.Message, e); }
        catch (TaskCanceledException e) { throw Unreachable($"no answer within {_http.Timeout.TotalSeconds:0} s", e); }
        using (res)
        {
            string body = await res.Content.ReadAsStringAsync();
            if (!res.IsSuccessStatusCode)
                throw new ControlClientException((int)res.StatusCode, ErrorText(body) ?? $"HTTP {(int)res.StatusCode} {res.ReasonPhrase} from {BaseUrl}");
            try
            {
                return JsonSerializer.Deserialize<TRes>(body, ControlJson.Options)
                    ?? throw new JsonException("null answer");
            }
            catch (JsonException e)
            {
                throw new ControlClientException((int)res.StatusCode, $"unexpected answer from {BaseUrl}: {e.Message}", e);
            }
        }
    }

    private ControlClientException Unreachable(string reason, Exception e) => new(0, $"cannot reach seed {BaseUrl}: {reason}", e);

    private static string? ErrorText(string body)
    {
        try { return JsonSerializer.Deserialize<ErrorResponse>(body, ControlJson.Options)?.Error; }
        catch (JsonException) { return null; }
    }

    public void Dispose() => _http.Dispose();
}
