using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Switch.Core.Packets;
using Switch.Contracts.Control;
using Switch.Node.Commands;
using Switch.Node.Control;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Control;

/// <summary>A single node's control API on 127.0.0.1 (a port the OS picks), started fresh for each test.</summary>
public abstract class ControlServer : IAsyncLifetime
{
    protected LocalSwitchControl Control { get; } = new("n1");
    protected WebApplication App { get; private set; } = null!;
    protected HttpClient Http { get; private set; } = null!;
    protected string Url { get; private set; } = "";
    protected virtual Func<bool>? Ready => null;
    protected virtual ISwitchControl Served => Control;
    protected virtual Switch.Node.Metrics.NodeMetrics? Metrics => null;
    /// <summary>A client that trusts the cluster CA and sends no credential.</summary>
    protected HttpClient Anonymous { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // A node outputs only to its configured ports: this one has four, in memory (as a config without pcapOut gives).
        foreach (uint p in new uint[] { 1, 2, 3, 4 }) Control.AddPort(new Core.Ports.InMemoryPort(p, p.ToString(), keep: Core.Ports.InMemoryPort.NodeKeep));
        App = ControlHost.Build("https://127.0.0.1:0", Served, global::Switch.Testing.TestPki.Security, Ready, Metrics);
        await App.StartAsync();
        Url = ControlHost.BoundUrl(App);
        Control.ApiUrl = Url;
        Http = global::Switch.Testing.TestPki.Http(Url, global::Switch.Testing.TestPki.AdminToken, TimeSpan.FromSeconds(5));
        Anonymous = global::Switch.Testing.TestPki.Http(Url, null, TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        Control.Dispose();
    }

    public const string A = "10.0.0.1", B = "10.0.0.2";

    protected static string Hex(byte[] frame) => HexFrame.Format(frame);
    protected static string SynAToB => Hex(TcpV4(A, B, 40000, 80, Syn, 1000, 0));
    protected static string SynAckBToA => Hex(TcpV4(B, A, 80, 40000, Syn | Ack, 5000, 1001, dlSrc: MacB, dlDst: MacA));

    protected async Task<T> PostOk<T>(string path, object body)
    {
        using var res = await Http.PostAsJsonAsync(path, body, ControlJson.Options);
        Assert.True(res.IsSuccessStatusCode, $"{path}: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
        return (await res.Content.ReadFromJsonAsync<T>(ControlJson.Options))!;
    }

    /// <summary>Posts and expects an error: returns the status and the ErrorResponse message.</summary>
    protected async Task<(HttpStatusCode Status, string Error)> PostError(string path, object body)
    {
        using var res = await Http.PostAsJsonAsync(path, body, ControlJson.Options);
        return (res.StatusCode, await ErrorOf(res));
    }

    protected static async Task<string> ErrorOf(HttpResponseMessage res)
    {
        Assert.False(res.IsSuccessStatusCode);
        Assert.Equal("application/json", res.Content.Headers.ContentType?.MediaType);
        return (await res.Content.ReadFromJsonAsync<ErrorResponse>(ControlJson.Options))!.Error;
    }

    protected async Task<List<string>> Flows(string? match = null)
    {
        var q = match is null ? "flows" : "flows?match=" + Uri.EscapeDataString(match);
        return (await Http.GetFromJsonAsync<FlowsAnswer>(q, ControlJson.Options))!.Flows;
    }

    protected async Task<List<string>> Conntrack(ushort? zone = null) =>
        (await Http.GetFromJsonAsync<EntriesAnswer>(zone is null ? "conntrack" : $"conntrack?zone={zone}", ControlJson.Options))!.Entries;

    protected sealed record FlowsAnswer(List<string> Flows);
    protected sealed record EntriesAnswer(List<string> Entries);
    protected sealed record TextAnswer(string Text);

    protected Task AddFirewall() => PostOk<FlowModResult>("flows", new AddFlowsRequest(
        SamplesCommand.Firewall.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToList()));

    /// <summary>A port nothing listens on: bound by the OS, then closed.</summary>
    public static int ClosedPort() => Switch.Node.Cluster.Loopback.FreePort();
}
