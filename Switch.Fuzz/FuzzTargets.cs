using System.Text;
using System.Text.Json;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Switch.Contracts.Control;
using Switch.Node.Control;

namespace Switch.Fuzz;

/// <summary>
/// One fuzzing target per parser that takes input from outside the switch. Each feeds the bytes to the parser the way
/// the product does and lets only the parser's own named errors through (a <see cref="PcapFormatException"/>, a flow
/// parse error, a control API's 400): any other exception is a crash, which AFL++ records and the corpus replay test
/// turns into a failing test.
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["pcap"] = Pcap,
        ["frame"] = Frame,
        ["flow"] = FlowText,
        ["ftp"] = Ftp,
        ["api"] = ControlBody,
    };

    /// <summary>A capture file (pcap or pcapng), read to its end.</summary>
    public static void Pcap(byte[] data)
    {
        try
        {
            using var r = new PcapReader(new MemoryStream(data), "fuzz.pcap");
            while (r.Read() is not null) { }
        }
        catch (PcapFormatException) { }
    }

    private static readonly string[] Firewall =
    {
        "table=0,priority=100,ip actions=ct(table=1,zone=1)",
        "table=0,priority=100,ipv6 actions=ct(table=1,zone=1)",
        "table=0,priority=10 actions=NORMAL",
        "table=1,priority=100,ct_state=+trk+new,tcp,tp_dst=21,in_port=1 actions=ct(commit,zone=1,alg=ftp),output:2",
        "table=1,priority=100,ct_state=+trk+new,udp,tp_dst=69,in_port=1 actions=ct(commit,zone=1,alg=tftp),output:2",
        "table=1,priority=90,ct_state=+trk+new,in_port=1,ip actions=ct(commit,zone=1),output:2",
        "table=1,priority=90,ct_state=+trk+new,in_port=1,ipv6 actions=ct(commit,zone=1),output:2",
        "table=1,priority=80,ct_state=+trk+est actions=output:1,output:2",
        "table=1,priority=80,ct_state=+trk+rel actions=output:1,output:2",
        "table=1,priority=1 actions=drop",
    };

    /// <summary>
    /// Frames through a whole switch: the parser, the stateful firewall with conntrack (TCP window tracking, FTP and
    /// TFTP helpers, ICMP errors, fragment reassembly and refragmentation) and output. The input is a sequence of
    /// frames, each a 2-byte length and an input-port byte, then the frame.
    /// </summary>
    public static void Frame(byte[] data)
    {
        var clock = new ManualClock(1_000_000);
        var dp = new Datapath(new ConntrackEngine(clock), clock);
        foreach (uint p in new uint[] { 1, 2 }) dp.AddPort(new InMemoryPort(p, p.ToString(), mtu: 1500, keep: 16));
        foreach (var f in Firewall) dp.AddFlow(FlowParser.Parse(f));
        int at = 0;
        while (at + 3 <= data.Length)
        {
            int len = Math.Min((data[at] << 8) | data[at + 1], data.Length - at - 3);
            uint inPort = (uint)(data[at + 2] & 1) + 1;
            var frame = data.AsSpan(at + 3, len).ToArray();
            at += 3 + len;
            dp.Receive(Packet.From(frame, inPort, clock.NowUs), new PacketTrace());
            clock.AdvanceTo(clock.NowUs + 1000);
        }
    }

    /// <summary>Flow text as a user types it: parsed as a flow and as a match; a flow that parses prints back to text
    /// that parses to the same canonical text (the round-trip promise).</summary>
    public static void FlowText(byte[] data)
    {
        var text = Encoding.UTF8.GetString(data);
        foreach (var mode in new[] { FlowTextMode.Add, FlowTextMode.Select })
        {
            var (flow, err) = FlowParser.TryParse(text, mode);
            if (err is not null) { _ = err.ToString(); continue; }
            var canonical = Canonical(flow!, mode);
            var (again, err2) = FlowParser.TryParse(canonical, mode);
            if (err2 is not null) throw new InvalidOperationException($"canonical text does not parse: '{canonical}': {err2}");
            if (Canonical(again!, mode) != canonical) throw new InvalidOperationException($"canonical text is not stable: '{canonical}' -> '{again}'");
        }
    }

    /// <summary>A flow as add-flow text; a selection (del-flows, dump-flows) as its table and match.</summary>
    private static string Canonical(Flow f, FlowTextMode mode) =>
        mode == FlowTextMode.Add ? f.ToString() : (f.TableGiven ? $"table={f.Table}," : "") + f.FormatMatch();

    /// <summary>An FTP control line (PORT, EPRT, 227, 229), both directions, IPv4 and IPv6 connections.</summary>
    public static void Ftp(byte[] data)
    {
        for (int dir = 0; dir < 2; dir++)
            foreach (bool v6 in new[] { false, true })
                FtpParser.Parse(data, dir, v6, out _);
    }

    // A property, not a static field: under AFL++ no instrumented code (dswitch.dll) may run before the fuzzer loop
    // starts, and a field initializer would run ControlJson's static constructor from this class's own.
    private static JsonSerializerOptions Json => ControlJson.Options;

    /// <summary>A control API request body: the first byte picks the endpoint, the rest is the JSON body, handled by a
    /// single node's control. Named answers (400, 404) are fine; anything else is a crash.</summary>
    public static void ControlBody(byte[] data)
    {
        if (data.Length == 0) return;
        using var control = new LocalSwitchControl("fuzz", new ManualClock(1_000_000));
        control.AddPort(new InMemoryPort(1, "1", keep: 16));
        control.AddPort(new InMemoryPort(2, "2", keep: 16));
        var body = data.AsSpan(1);
        try
        {
            switch (data[0] % 6)
            {
                case 0: control.AddFlowsAsync(Body<AddFlowsRequest>(body)).GetAwaiter().GetResult(); break;
                case 1: control.ModFlowsAsync(Body<ModFlowsRequest>(body)).GetAwaiter().GetResult(); break;
                case 2: control.DelFlowsAsync(Body<DelFlowsRequest>(body)).GetAwaiter().GetResult(); break;
                case 3: control.FlushConntrackAsync(Body<FlushConntrackRequest>(body)).GetAwaiter().GetResult(); break;
                case 4: control.TraceAsync(Body<TraceRequest>(body)).GetAwaiter().GetResult(); break;
                default: control.PacketOutAsync(Body<PacketOutRequest>(body)).GetAwaiter().GetResult(); break;
            }
        }
        catch (ControlException) { }
        catch (JsonException) { }
    }

    /// <summary>As the API reads a body: null is a 400 too.</summary>
    private static T Body<T>(ReadOnlySpan<byte> json) where T : class =>
        JsonSerializer.Deserialize<T>(json, Json) ?? throw new ControlException(400, "null body");
}
