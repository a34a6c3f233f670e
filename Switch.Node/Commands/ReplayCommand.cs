using Switch.Core.Conntrack;
using Switch.Core.Ports;

namespace Switch.Node.Commands;

/// <summary>`dswitch replay`: the main job. With no inputs it replays the bundled stateful-firewall sample through a
/// local 3-member cluster; `--cluster N` sets the member count (0: one in-process switch, the default when captures are
/// given).</summary>
public static class ReplayCommand
{
    public static int Run(string[] argv, TextWriter output)
    {
        var a = new Args(argv, new[] { "dump-conntrack" }, new[] { "flows", "port", "out", "trace-json", "cluster" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        var inputs = new List<ReplayInput>();
        foreach (var spec in a.All("port"))
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0 || !uint.TryParse(spec[..eq], out var no) || no == 0 || no >= 0xff00)
                throw new UsageException($"--port expects N=FILE with N a port number 1-65279, got '{spec}'");
            inputs.Add(new ReplayInput(no, spec[(eq + 1)..]));
        }
        string? flows = a.Get("flows");
        bool bundled = flows is null && inputs.Count == 0;
        // The bundled sample runs on a local cluster unless a per-packet trace or the conntrack table is asked for
        // (those read the in-process switch).
        int members = bundled && a.Get("trace-json") is null && !a.Flag("dump-conntrack") ? 3 : 0;
        if (a.Get("cluster") is { } cs && (!int.TryParse(cs, out members) || members is < 0 or > 9))
            throw new UsageException($"--cluster expects a member count 0-9 (0: one in-process switch), got '{cs}'");
        if (bundled)
        {
            var dir = Samples.Directory();
            flows = Path.Combine(dir, "flows", "firewall.flows");
            inputs.Add(new ReplayInput(1, Path.Combine(dir, "pcap", "host-a.pcap")));
            inputs.Add(new ReplayInput(2, Path.Combine(dir, "pcap", "host-b.pcap")));
            output.WriteLine($"replaying the bundled sample: {flows} with ports 1 and 2 from {Path.Combine(dir, "pcap")}");
        }
        if (flows is null) throw new UsageException("--flows FILE is required when --port is given");
        if (inputs.Count == 0) throw new UsageException("at least one --port N=FILE is required");
        var outDir = a.Get("out") ?? "out";
        if (members > 0)
        {
            if (a.Get("trace-json") is not null || a.Flag("dump-conntrack"))
                throw new UsageException("--trace-json and --dump-conntrack need the in-process switch (--cluster 0)");
            output.Write(ClusterReplayJob.RunAsync(new ReplayOptions(flows, inputs, outDir), members, output).GetAwaiter().GetResult());
            return 0;
        }
        var job = new ReplayJob(new ReplayOptions(flows, inputs, outDir, a.Get("trace-json"), a.Flag("dump-conntrack")),
            conntrackFactory: clock => new ConntrackEngine(clock));
        job.Run();
        output.Write(job.Summary());
        output.WriteLine($"output captures in {Path.GetFullPath(outDir)}: " +
            string.Join(", ", job.Datapath.Ports.Values.Select(p => $"port-{p.Name}.pcap")));
        if (a.Flag("dump-conntrack") && job.Conntrack is ConntrackEngine ct)
        {
            output.WriteLine("\nconntrack:");
            foreach (var line in ct.DumpConntrack()) output.WriteLine(line);
        }
        return 0;
    }
}
