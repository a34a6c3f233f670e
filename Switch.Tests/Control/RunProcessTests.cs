using System.Diagnostics;
using System.Runtime.InteropServices;
using Switch.Actors.Ports;
using Switch.Node.Commands;
using Xunit;

namespace Switch.Tests.Control;

/// <summary>The real `dswitch run` as a child process: ready line, driven by `ctl`, clean stop on SIGTERM.</summary>
public partial class RunProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-run-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Run_serves_the_control_api_until_sigterm_and_flushes_its_pcap_ports()
    {
        File.WriteAllText(Path.Combine(_dir, "fw.flows"), SamplesCommand.Firewall + "\n");
        var config = Path.Combine(_dir, "n1.json");
        File.WriteAllText(config, """
            {"name":"n1","api":"http://127.0.0.1:0","flows":"fw.flows","ports":{"2":{"pcapOut":"out/port-2.pcap","mtu":1500}}}
            """);
        using var p = Start("run", "--config", config);
        try
        {
            var ready = await ReadLineWithin(p, TimeSpan.FromSeconds(15));
            Assert.NotNull(ready);
            Assert.StartsWith("dswitch n1: control API on http://127.0.0.1:", ready);
            var url = ready[(ready.IndexOf(" on ") + 4)..];

            var o = new StringWriter();
            Assert.Equal(0, CtlCommand.Run(new[] { "--seed", url, "dump-flows", "table=0" }, o, o));
            Assert.Equal(4, o.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            o = new StringWriter();
            Assert.Equal(0, CtlCommand.Run(new[] { "--seed", url, "packet-out", "in_port=1", "packet=" + ControlServer_Syn() }, o, o));
            Assert.StartsWith("frame 1: ct_state=+new+trk ct_zone=1 ct_mark=0x0 outputs=2", o.ToString());

            Stop(p);
            Assert.True(p.WaitForExit(10_000), "dswitch run did not stop");
            Assert.Equal(0, p.ExitCode);
            var sent = PcapReader.ReadFile(Path.Combine(_dir, "out", "port-2.pcap")).ToList();
            Assert.Single(sent);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    private static string ControlServer_Syn() =>
        Switch.Node.Control.HexFrame.Format(Actors.Packets.FrameBuilder.TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Actors.Packets.FrameBuilder.Syn, 1000));

    /// <summary>dswitch.dll is built next to the test assembly (Switch.Node is a project reference).</summary>
    private static Process Start(params string[] args)
    {
        var dll = typeof(Switch.Node.Program).Assembly.Location;
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        return p;
    }

    private static async Task<string?> ReadLineWithin(Process p, TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        return await p.StandardOutput.ReadLineAsync(cts.Token);
    }

    /// <summary>SIGTERM where there are signals (what a service manager or Kubernetes sends), else a kill.</summary>
    private static void Stop(Process p)
    {
        if (OperatingSystem.IsWindows()) { p.Kill(entireProcessTree: true); return; }
        Assert.Equal(0, SysKill(p.Id, 15));
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
