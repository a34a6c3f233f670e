using Switch.Node.Commands;

namespace Switch.Node;

public static class Program
{
    public static readonly string Usage = $$$$"""
        dswitch — DistSwitch, a distributed virtual switch with OVS conntrack semantics

        usage:
          dswitch replay [--flows FILE] [--port N=IN.pcap]... [--out DIR] [--trace-json FILE] [--dump-conntrack]
              Replays captures through the flow tables; writes DIR/port-N.pcap per output port and prints a summary.
              With no --flows/--port, replays the bundled stateful-firewall sample.
          dswitch trace --flows FILE "in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80,tcp_flags=syn"
              Shows each table visited, the flow matched, the actions and where the packet goes.
          dswitch dump-flows --flows FILE [MATCH]
              Parses a flow file and prints it as ovs-ofctl dump-flows would.
          dswitch generate-samples [--out DIR]
              Writes the bundled sample captures and flow files (made by DistSwitch's own frame builder).
          dswitch security init --out DIR [--host H]...      dswitch security issue --ca DIR --out DIR2 [--host H]...
              Writes a cluster CA, a member certificate for the hosts (default loopback) and API tokens (admin.token,
              reader.token) to DIR; issue makes another member certificate from DIR's CA. See README "Security".
          dswitch run [--config FILE] [--security DIR] [--api URL] [--flows FILE]
              Runs a node serving the HTTPS control API (config: {"name":"n1","api":"https://127.0.0.1:8080",
              "security":{"dir":"pki"},"flows":"f.flows","ports":{"1":{"pcapOut":"out/port-1.pcap","mtu":1500}}})
              until SIGINT/SIGTERM. Every node needs a security section (or --security DIR from security init).
              Ports: {"interface":"veth-a"} (live, libpcap), {"vxlan":{"local":"IP:PORT","vni":N,"remotes":[...]}},
              {"remote":"IP:PORT","tunnel":10} (a port on another node); see README "Live ports and VXLAN".
          dswitch ctl --seed https://HOST:PORT [--token T|@FILE] [--cacert CA.pem] VERB ...
              Sends a command to a running node (or set DSWITCH_SEED, DSWITCH_TOKEN, DSWITCH_CACERT). Verbs:
        {{{{CtlCommand.Verbs}}}}
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help") { Console.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        try
        {
            var rest = args[1..];
            return args[0] switch
            {
                "replay" => ReplayCommand.Run(rest, Console.Out),
                "trace" => TraceCommand.Run(rest, Console.Out),
                "dump-flows" => DumpFlowsCommand.Run(rest, Console.Out),
                "generate-samples" => SamplesCommand.Run(rest, Console.Out),
                "run" => RunCommand.Run(rest, Console.Out),
                "ctl" => CtlCommand.Run(rest, Console.Out),
                "security" => SecurityCommand.Run(rest, Console.Out),
                _ => Fail($"unknown command '{args[0]}' (try dswitch --help)"),
            };
        }
        catch (UsageException e) { return Fail(e.Message); }
        catch (Switch.Core.Ports.PcapFormatException e) { return Fail(e.Message); }
        catch (IOException e) { return Fail(e.Message); }
        catch (UnauthorizedAccessException e) { return Fail(e.Message); }
        catch (TimeoutException e) { return Fail(e.Message); }
        catch (Akka.Actor.AskTimeoutException e) { return Fail("the cluster did not answer in time: " + e.Message); }
    }

    internal static int Fail(string message)
    {
        Console.Error.WriteLine("dswitch: " + message);
        return 1;
    }
}
