using System.Text.RegularExpressions;
using Switch.Core.Datapath;
using Switch.Core.Ports;
using Switch.Contracts.Control;
using Switch.Node.Control;

namespace Switch.Node.Commands;

/// <summary>
/// `dswitch ctl --seed URL VERB ...`: the single-node commands (add-flow, dump-flows, trace, ...) sent to a
/// running node's control API, printing what the local commands print. The seed comes from --seed or the
/// DSWITCH_SEED environment variable. Any failure is one line, `dswitch: message`, and exit code 1.
/// </summary>
public static partial class CtlCommand
{
    public const string Verbs = """
              add-flow "FLOW"                       add-flows FILE
              mod-flows [--strict] "FLOW"           del-flows [--strict] ["MATCH"]
              dump-flows ["MATCH"]                  dump-conntrack [zone=N]
              flush-conntrack [zone=N] ["TUPLE"]    trace "PACKET"
              packet-out [--node N] in_port=P packet=HEX|pcap=FILE...
              cluster                               ports
        """;

    public static int Run(string[] argv, TextWriter output, TextWriter? error = null)
    {
        error ??= Console.Error;
        try
        {
            // Off the caller's synchronization context: a blocking wait on HTTP must not need the blocked thread.
            return Task.Run(() => RunAsync(argv, output)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is UsageException or ControlClientException or IOException or PcapFormatException
                                      or UnauthorizedAccessException)
        {
            error.WriteLine("dswitch: " + e.Message);
            return 1;
        }
    }

    private static async Task<int> RunAsync(string[] argv, TextWriter output)
    {
        var a = new Args(argv, new[] { "strict" }, new[] { "seed", "node", "token", "cacert" });
        var seed = a.Get("seed") ?? Environment.GetEnvironmentVariable("DSWITCH_SEED");
        if (string.IsNullOrWhiteSpace(seed)) throw new UsageException("ctl needs --seed https://HOST:PORT (or DSWITCH_SEED)");
        if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new UsageException($"--seed expects an https:// URL (the control API serves TLS only), got '{seed}'");
        var token = Token(a.Get("token") ?? Environment.GetEnvironmentVariable("DSWITCH_TOKEN"));
        var cacert = a.Get("cacert") ?? Environment.GetEnvironmentVariable("DSWITCH_CACERT");
        if (cacert is not null && !File.Exists(cacert)) throw new UsageException($"--cacert: file '{cacert}' not found");
        if (a.Positional.Count == 0) throw new UsageException("ctl needs a verb:\n" + Verbs);
        string verb = a.Positional[0];
        var rest = a.Positional.Skip(1).ToList();
        if (a.Flag("strict") && verb is not ("mod-flows" or "del-flows")) throw new UsageException($"--strict is for mod-flows and del-flows, not {verb}");
        if (a.Get("node") is not null && verb != "packet-out") throw new UsageException($"--node is for packet-out, not {verb}");
        using var client = new ControlClient(seed, token, cacert is null ? null : Security.CaBundle.Load(cacert));
        switch (verb)
        {
            case "add-flow":
                await client.AddFlowsAsync(new AddFlowsRequest(new[] { Joined(rest, "add-flow needs a flow, e.g. \"table=0,priority=10,ip actions=output:2\"") }));
                break;
            case "add-flows":
                await AddFlowsFromFile(client, rest);
                break;
            case "mod-flows":
                await client.ModFlowsAsync(new ModFlowsRequest(Joined(rest, "mod-flows needs a flow with actions"), a.Flag("strict")));
                break;
            case "del-flows":
                await client.DelFlowsAsync(new DelFlowsRequest(rest.Count == 0 ? null : string.Join(" ", rest), a.Flag("strict")));
                break;
            case "dump-flows":
                foreach (var line in await client.DumpFlowsAsync(rest.Count == 0 ? null : string.Join(" ", rest))) output.WriteLine(line);
                break;
            case "dump-conntrack":
            {
                var (zone, left) = ZoneArg(rest);
                if (left.Count > 0) throw new UsageException($"dump-conntrack takes only zone=N, got '{left[0]}'");
                foreach (var line in await client.DumpConntrackAsync(zone)) output.WriteLine(line);
                break;
            }
            case "flush-conntrack":
            {
                var (zone, left) = ZoneArg(rest);
                await client.FlushConntrackAsync(new FlushConntrackRequest(zone, left.Count == 0 ? null : string.Join(",", left)));
                break;
            }
            case "trace":
                output.Write(await client.TraceAsync(new TraceRequest(Joined(rest, "trace needs a packet description, e.g. \"in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80\""))));
                break;
            case "packet-out":
                foreach (var f in (await client.PacketOutAsync(PacketOut(a.Get("node"), rest))).Frames) output.WriteLine(FrameLine(f));
                break;
            case "cluster":
                if (rest.Count > 0) throw new UsageException($"cluster takes no arguments, got '{rest[0]}'");
                output.Write(ClusterTable.Format(await client.ClusterAsync()));
                break;
            case "ports":
                if (rest.Count > 0) throw new UsageException($"ports takes no arguments, got '{rest[0]}'");
                output.Write(PortTable.Format(await client.PortsAsync()));
                break;
            default:
                throw new UsageException($"unknown ctl verb '{verb}'; verbs:\n" + Verbs);
        }
        return 0;
    }

    /// <summary>The words after the verb as one text: `add-flow table=0 actions=drop` unquoted means the same.</summary>
    private static string Joined(List<string> rest, string missing) =>
        rest.Count == 0 ? throw new UsageException(missing) : string.Join(" ", rest);

    /// <summary>A flow file's lines go as one all-or-nothing batch; the server's "flow N:" is mapped back to
    /// the file and line so the error reads as `dswitch add-flows` would print it locally.</summary>
    /// <summary>The token as given, or read from FILE when given as <c>@FILE</c> (keeps it off the command line).</summary>
    private static string? Token(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!value.StartsWith('@')) return value.Trim();
        var path = value[1..];
        if (!File.Exists(path)) throw new UsageException($"--token: file '{path}' not found");
        return File.ReadAllText(path).Trim();
    }

    private static async Task AddFlowsFromFile(ControlClient client, List<string> rest)
    {
        if (rest.Count != 1) throw new UsageException("add-flows needs one flow file");
        var path = rest[0];
        if (!File.Exists(path)) throw new UsageException($"flow file '{path}' not found");
        var lines = new List<string>();
        var lineNos = new List<int>();
        int n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var t = raw.Trim();
            if (t.Length == 0 || t[0] == '#') continue;
            lines.Add(raw);
            lineNos.Add(n);
        }
        if (lines.Count == 0) throw new UsageException($"{path}: no flows in the file");
        try { await client.AddFlowsAsync(new AddFlowsRequest(lines)); }
        catch (ControlClientException e) when (FlowIndex().Match(e.Message) is { Success: true } m
                                                && int.TryParse(m.Groups[1].Value, out var i) && i >= 1 && i <= lineNos.Count)
        {
            throw new ControlClientException(e.Status, $"{path}:{lineNos[i - 1]}: {e.Message[m.Length..]}", e);
        }
    }

    [GeneratedRegex(@"^flow (\d+): ")]
    private static partial Regex FlowIndex();

    private static (ushort? Zone, List<string> Left) ZoneArg(List<string> args)
    {
        if (args.Count == 0 || !args[0].StartsWith("zone=", StringComparison.Ordinal)) return (null, args);
        var v = args[0]["zone=".Length..];
        if (!ushort.TryParse(v, out var z)) throw new UsageException($"zone: expected a number 0-65535, got '{v}'");
        return (z, args.Skip(1).ToList());
    }

    /// <summary>in_port=P and one or more packet=HEX / pcap=FILE, as separate words or comma-separated.</summary>
    private static PacketOutRequest PacketOut(string? node, List<string> rest)
    {
        uint? inPort = null;
        var packets = new List<string>();
        foreach (var tok in rest.SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            int eq = tok.IndexOf('=');
            string key = eq < 0 ? tok : tok[..eq], val = eq < 0 ? "" : tok[(eq + 1)..];
            switch (key)
            {
                case "in_port":
                    inPort = OfPorts.Parse(val) is uint p && p != 0 && (p < OfPorts.Max || p == OfPorts.Local)
                        ? p : throw new UsageException($"in_port: expected a port 1-{OfPorts.Max - 1} or LOCAL, got '{val}'");
                    break;
                case "packet" when val.Length > 0: packets.Add(val); break;
                case "pcap" when val.Length > 0:
                {
                    if (!File.Exists(val)) throw new UsageException($"capture '{val}' not found");
                    int i = 0;
                    foreach (var r in PcapReader.ReadFile(val))
                    {
                        i++;
                        if (!r.IsEthernet) throw new UsageException($"{val}: frame {i} is not Ethernet (link type {r.LinkType})");
                        packets.Add(HexFrame.Format(r.Data));
                    }
                    break;
                }
                default: throw new UsageException($"packet-out: expected in_port=P, packet=HEX or pcap=FILE, got '{tok}'");
            }
        }
        if (inPort is null) throw new UsageException("packet-out needs in_port=P");
        if (packets.Count == 0) throw new UsageException("packet-out needs packet=HEX or pcap=FILE (with at least one frame)");
        return new PacketOutRequest(node, inPort.Value, packets);
    }

    public static string FrameLine(PacketOutFrame f)
    {
        var head = $"frame {f.Index}: ct_state={f.CtState} ct_zone={f.CtZone} ct_mark=0x{f.CtMark:x}";
        if (f.Outputs.Count > 0) return head + " outputs=" + string.Join(",", f.Outputs.Select(OfPorts.Name));
        return head + f.Drop switch
        {
            null => " outputs=none",
            LocalSwitchControl.HeldForReassembly => " held (fragment kept for reassembly)",
            var d => " drop=" + d,
        };
    }
}
