using Microsoft.Extensions.Hosting;
using Switch.Actors.Ports;
using Switch.Node.Control;

namespace Switch.Node.Commands;

/// <summary>
/// `dswitch run --config FILE [--api URL] [--flows FILE]`: one node serving the control API until SIGINT or
/// SIGTERM. Prints a single line once it answers requests, so scripts and tests can wait for it; on the way
/// out it closes its ports, which completes the pcap captures.
/// </summary>
public static class RunCommand
{
    public static int Run(string[] argv, TextWriter output)
    {
        var a = new Args(argv, Array.Empty<string>(), new[] { "config", "api", "flows" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        var path = a.Get("config");
        var config = path is null ? new NodeConfig() : NodeConfig.Load(path);
        config = config with { Api = a.Get("api") ?? config.Api, Flows = a.Get("flows") ?? config.Flows };
        config.Validate(path ?? "command line");
        return RunAsync(config, output).GetAwaiter().GetResult();
    }

    /// <summary>Runs the node until a signal or <paramref name="stop"/>.</summary>
    public static async Task<int> RunAsync(NodeConfig config, TextWriter output, CancellationToken stop = default)
    {
        // Flows first: a bad flow file must stop the node before it opens capture files or a port.
        var flows = config.Flows is null ? new() : FlowFile.Load(config.Flows);
        using var control = new LocalSwitchControl(config.Name);
        foreach (var (key, p) in config.Ports)
        {
            uint no = NodeConfig.PortNumber(key)!.Value;
            string name = Actors.Datapath.OfPorts.Name(no);
            if (p.PcapOut is null) { control.AddPort(new InMemoryPort(no, name, p.Mtu)); continue; }
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(p.PcapOut))!);
            control.AddPort(new PcapFilePort(no, name, p.PcapOut, p.Mtu));
        }
        control.Load(flows);
        bool started = false;
        await using var app = ControlHost.Build(config.Api, control, () => Volatile.Read(ref started));
        await app.StartAsync(stop);
        control.ApiUrl = ControlHost.BoundUrl(app);
        Volatile.Write(ref started, true);
        output.WriteLine($"dswitch {config.Name}: control API on {control.ApiUrl}");
        output.Flush();
        await app.WaitForShutdownAsync(stop);
        return 0;
    }
}
