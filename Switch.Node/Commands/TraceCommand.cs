using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Switch.Node.Tracing;

namespace Switch.Node.Commands;

/// <summary>
/// `dswitch trace`: builds a real frame from a flow description, runs it through the tables (with a fresh
/// in-process conntrack) and prints each table visited, the flow matched and its actions, in the spirit of
/// `ovs-appctl ofproto/trace`.
/// </summary>
public static class TraceCommand
{
    public static int Run(string[] argv, TextWriter output)
    {
        var a = new Args(argv, Array.Empty<string>(), new[] { "flows" });
        var flowsPath = a.Get("flows") ?? throw new UsageException("--flows FILE is required");
        if (a.Positional.Count != 1) throw new UsageException("expected one packet description, e.g. \"in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80,tcp_flags=syn\"");
        var flows = FlowFile.Load(flowsPath);
        var (sel, err) = FlowParser.TryParse(a.Positional[0], FlowTextMode.Select);
        if (err is not null) throw new UsageException($"packet description: {err}");
        output.Write(PacketTracer.Trace(flows, sel!.Match));
        return 0;
    }
}
