using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Switch.Tests.Live;

/// <summary>The real `dswitch run` as a child process: started on a config, ready once it prints its line, stopped with
/// SIGTERM. Its output is kept for failure messages.</summary>
public sealed partial class SwitchProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="ns">The network namespace to run in (through `ip netns exec`, which execs dotnet: the child's id is
    /// still dswitch's, so SIGTERM reaches it); null for the test's own.</param>
    public SwitchProcess(string config, string? ns = null)
    {
        var dll = typeof(Switch.Node.Program).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var psi = new ProcessStartInfo(ns is null ? dotnet : "ip")
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (ns is not null) foreach (var a in new[] { "netns", "exec", ns, dotnet }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(config);
        _p = new Process { StartInfo = psi };
        _p.OutputDataReceived += (_, e) => Line(e.Data);
        _p.ErrorDataReceived += (_, e) => Line(e.Data);
        _p.Exited += (_, _) => _ready.TrySetException(new InvalidOperationException("dswitch exited: " + Log));
        _p.EnableRaisingEvents = true;
        _p.Start();
        _p.BeginOutputReadLine();
        _p.BeginErrorReadLine();
    }

    private void Line(string? l)
    {
        if (l is null) return;
        lock (_log) _log.AppendLine(l);
        if (l.Contains(": control API on ")) _ready.TrySetResult(l[(l.IndexOf(" on ") + 4)..].Split(',')[0]);
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The control API URL once the node is ready.</summary>
    public async Task<string> Ready(TimeSpan within) => await _ready.Task.WaitAsync(within);

    public int Stop()
    {
        if (_p.HasExited) return _p.ExitCode;
        kill(_p.Id, 15);
        if (!_p.WaitForExit(10_000)) { _p.Kill(true); _p.WaitForExit(); }
        return _p.ExitCode;
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { }
        _p.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
