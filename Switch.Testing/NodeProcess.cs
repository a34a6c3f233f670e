using System.Diagnostics;
using System.Text;

namespace Switch.Testing;

/// <summary>One `dswitch run` process of a test or bench cluster: started from a generated config, read until ready,
/// killed at the end.</summary>
public sealed class NodeProcess : IDisposable
{
    private static readonly StringBuilder AllLogs = new();
    public string Name { get; }
    public string Api { get; }
    public int AkkaPort { get; }
    public Process Process { get; }

    private NodeProcess(string name, string api, int akkaPort, Process p) { Name = name; Api = api; AkkaPort = akkaPort; Process = p; }

    /// <param name="host">The address the node binds Akka remoting and its control API to.</param>
    /// <param name="netns">A network namespace to run in (through `ip netns exec`, which execs dotnet, so the process
    /// id is still the node's); null for the test's own.</param>
    /// <param name="apiPort">The control API port; 0 picks a free one.</param>
    public static NodeProcess Start(string dir, string name, int akkaPort, string seed, string? persistenceJson, string ports = "\"1\":{},\"2\":{},\"3\":{},\"4\":{}",
        string host = "127.0.0.1", string? netns = null, int apiPort = 0, string? extraJson = null, string? securityDir = null)
    {
        if (apiPort == 0) apiPort = Switch.Node.Cluster.Loopback.FreePort();
        var cfg = Path.Combine(dir, name + ".json");
        File.WriteAllText(cfg, $$"""
            { "name": "{{name}}", "api": "https://{{host}}:{{apiPort}}", "security": { "dir": "{{(securityDir ?? TestPki.Dir)}}" }, "ports": { {{ports}} },
              "cluster": { "host": "{{host}}", "port": {{akkaPort}}, "seeds": ["{{seed}}"], "shards": 30 }
              {{(persistenceJson is null ? "" : ", \"persistence\": " + persistenceJson)}}
              {{(extraJson is null ? "" : ", " + extraJson)}} }
            """);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(netns is null ? dotnet : "ip")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (netns is not null) foreach (var a in new[] { "netns", "exec", netns, dotnet }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(typeof(Switch.Node.Program).Assembly.Location);
        psi.ArgumentList.Add("run"); psi.ArgumentList.Add("--config"); psi.ArgumentList.Add(cfg);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (AllLogs) AllLogs.AppendLine($"{name}: {e.Data}"); };
        p.BeginErrorReadLine();
        return new NodeProcess(name, $"https://{host}:{apiPort}", akkaPort, p);
    }

    public async Task WaitReadyAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        var line = await Process.StandardOutput.ReadLineAsync(cts.Token);
        if (line?.Contains("control API on") != true) throw new InvalidOperationException($"{Name} not ready: {line}\n{Logs()}");
    }

    public static string Logs() { lock (AllLogs) return AllLogs.ToString(); }

    public void Dispose()
    {
        try { if (!Process.HasExited) Process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        Process.Dispose();
    }
}
