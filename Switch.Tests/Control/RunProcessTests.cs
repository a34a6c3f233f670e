using System.Diagnostics;
using System.Runtime.InteropServices;
using Switch.Core.Ports;
using Switch.Node.Commands;
using Xunit;

namespace Switch.Tests.Control;

/// <summary>The real `dswitch run` as a child process: ready line, driven by `ctl`, clean stop on SIGTERM.</summary>
[Trait("Category", Tiers.Process)]
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
            {"name":"n1","api":"https://127.0.0.1:0","flows":"fw.flows","ports":{"2":{"pcapOut":"out/port-2.pcap","mtu":1500}},
            """ + global::Switch.Testing.TestPki.SecurityJson + "}");
        using var p = Start("run", "--config", config);
        try
        {
            var ready = await ReadLineWithin(p, TimeSpan.FromSeconds(15));
            Assert.NotNull(ready);
            Assert.StartsWith("dswitch n1: control API on https://127.0.0.1:", ready);
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

    [Fact]
    public async Task Run_serves_metrics_on_a_single_node_and_they_follow_traffic()
    {
        File.WriteAllText(Path.Combine(_dir, "fw.flows"), SamplesCommand.Firewall + "\n");
        var config = Path.Combine(_dir, "n1.json");
        File.WriteAllText(config, """
            {"name":"n1","api":"https://127.0.0.1:0","flows":"fw.flows","ports":{"2":{"pcapOut":"out/port-2.pcap"}},
            """ + global::Switch.Testing.TestPki.SecurityJson + "}");
        using var p = Start("run", "--config", config);
        try
        {
            var ready = await ReadLineWithin(p, TimeSpan.FromSeconds(15));
            Assert.NotNull(ready);
            var url = ready[(ready.IndexOf(" on ") + 4)..];
            using var http = global::Switch.Testing.TestPki.Http(url, global::Switch.Testing.TestPki.ReaderToken, TimeSpan.FromSeconds(10));
            var before = await http.GetStringAsync("metrics");
            Assert.Equal(0, Deploy.MetricsEndpointTests.Value(before, "dswitch_ct_decisions_total"));
            Assert.Equal(1, Deploy.MetricsEndpointTests.Value(before, "dswitch_cluster_members", "status=\"up\""));

            // Through the firewall: a SYN from inside (port 1) is tracked, committed and sent out of port 2; a UDP
            // datagram from outside (port 2) opens nothing and is dropped.
            var o = new StringWriter();
            var frames = new[]
            {
                ControlServer_Syn(),
                Switch.Node.Control.HexFrame.Format(Core.Packets.FrameBuilder.UdpV4("10.0.0.2", "10.0.0.1", 5000, 9)),
            };
            foreach (var (port, frame) in new[] { ("1", frames[0]), ("2", frames[1]) })
                Assert.Equal(0, CtlCommand.Run(new[] { "--seed", url, "packet-out", "in_port=" + port, "packet=" + frame }, o, o));

            using var res = await http.GetAsync("metrics");
            Assert.True(res.IsSuccessStatusCode);
            Assert.StartsWith("text/plain", res.Content.Headers.ContentType?.ToString());
            var after = await res.Content.ReadAsStringAsync();
            Assert.Equal(1, Deploy.MetricsEndpointTests.Value(after, "dswitch_port_packets_total", "port=\"1\"", "action=\"rx\""));
            Assert.Equal(1, Deploy.MetricsEndpointTests.Value(after, "dswitch_port_packets_total", "port=\"2\"", "action=\"tx\""));
            Assert.Equal(1, Deploy.MetricsEndpointTests.Value(after, "dswitch_port_packets_total", "port=\"2\"", "action=\"rx\""));
            Assert.True(Deploy.MetricsEndpointTests.Value(after, "dswitch_ct_decisions_total") >= 2, after);
            Assert.Equal(1, Deploy.MetricsEndpointTests.Value(after, "dswitch_conntrack_entries", "zone=\"1\""));
            Assert.Equal(1, Deploy.MetricsEndpointTests.Value(after, "dswitch_drops_total", "reason=\"drop_action\""));
            Assert.Contains("dswitch_conntrack_expectations 0", after);
            Assert.Contains("dswitch_reassembly_in_progress 0", after);
            // Shards, entities and the journal are a cluster member's: a single node does not export them.
            Assert.DoesNotContain("dswitch_cluster_shards", after);
            Assert.DoesNotContain("dswitch_journal_", after);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    private static string ControlServer_Syn() =>
        Switch.Node.Control.HexFrame.Format(Core.Packets.FrameBuilder.TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Core.Packets.FrameBuilder.Syn, 1000));

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
