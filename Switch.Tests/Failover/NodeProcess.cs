using System.Diagnostics;
using System.Text;

namespace Switch.Tests.Failover;

/// <summary>One `dswitch run` process of a test cluster: started from a generated config, read until ready, killed at the end.</summary>
public sealed class NodeProcess : IDisposable
{
    private static readonly StringBuilder AllLogs = new();
    public string Name { get; }
    public string Api { get; }
    public int AkkaPort { get; }
    public Process Process { get; }

    private NodeProcess(string name, string api, int akkaPort, Process p) { Name = name; Api = api; AkkaPort = akkaPort; Process = p; }

    public static NodeProcess Start(string dir, string name, int akkaPort, string seed, string? persistenceJson, string ports = "\"1\":{},\"2\":{},\"3\":{},\"4\":{}")
    {
        int apiPort = Cluster.TestCluster.FreePort();
        var cfg = Path.Combine(dir, name + ".json");
        File.WriteAllText(cfg, $$"""
            { "name": "{{name}}", "api": "http://127.0.0.1:{{apiPort}}", "ports": { {{ports}} },
              "cluster": { "host": "127.0.0.1", "port": {{akkaPort}}, "seeds": ["{{seed}}"], "shards": 30, "stableAfterSeconds": 3 }
              {{(persistenceJson is null ? "" : ", \"persistence\": " + persistenceJson)}} }
            """);
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(typeof(Switch.Node.Program).Assembly.Location);
        psi.ArgumentList.Add("run"); psi.ArgumentList.Add("--config"); psi.ArgumentList.Add(cfg);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (AllLogs) AllLogs.AppendLine($"{name}: {e.Data}"); };
        p.BeginErrorReadLine();
        return new NodeProcess(name, $"http://127.0.0.1:{apiPort}", akkaPort, p);
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
