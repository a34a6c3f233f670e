using Switch.Core.Datapath;
using Switch.Contracts;

namespace Switch.Node.Commands;

/// <summary>`dswitch dump-flows --flows FILE [MATCH]`: the flow file as ovs-ofctl dump-flows prints it.</summary>
public static class DumpFlowsCommand
{
    public static int Run(string[] argv, TextWriter output)
    {
        var a = new Args(argv, Array.Empty<string>(), new[] { "flows" });
        var path = a.Get("flows") ?? throw new UsageException("--flows FILE is required");
        var tables = new FlowTables();
        long now = SystemClock.Instance.NowUs;
        foreach (var f in FlowFile.Load(path)) tables.Add(f, now);
        Flow? sel = null;
        if (a.Positional.Count > 0)
        {
            var (s, err) = FlowParser.TryParse(string.Join(",", a.Positional), FlowTextMode.Select);
            if (err is not null) throw new UsageException($"match: {err}");
            sel = s;
        }
        foreach (var line in tables.Dump(now, sel)) output.WriteLine(line);
        return 0;
    }
}
