using Switch.Node;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Node.Commands;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Node;

[Trait("Category", Tiers.Unit)]
public class ReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-replay-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly ulong H1 = Mac("02:00:00:00:00:01"), H2 = Mac("02:00:00:00:00:02"), H4 = Mac("02:00:00:00:00:04");

    private string WriteCapture(string name, params (long Ts, byte[] Frame)[] frames)
    {
        var path = Path.Combine(_dir, name);
        using var w = new PcapWriter(path);
        foreach (var (ts, f) in frames) w.Write(ts, f);
        return path;
    }

    private static List<byte[]> Read(string path) => PcapReader.ReadFile(path).Select(r => r.Data).ToList();

    [Fact]
    public void Three_table_flow_set_through_normal_and_explicit_outputs_byte_for_byte()
    {
        var flowsPath = Path.Combine(_dir, "three.flows");
        File.WriteAllText(flowsPath, SamplesCommand.ThreeTable);
        var web = TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 1, 0, dlSrc: H1, dlDst: H2);
        var dns = UdpV4("10.0.0.1", "10.0.0.9", 5353, 53, "q"u8, H1, H4);
        var other = UdpV4("10.0.0.1", "10.0.0.4", 1000, 2000, "o"u8, H1, H4);
        var fromH4 = UdpV4("10.0.0.4", "10.0.0.1", 2000, 1000, "r"u8, H4, H1);
        var tagged = Eth(H2, H1, EtherTypes.Ipv4, Ipv4(Ip("10.0.0.1"), Ip("10.0.0.2"), IpProtos.Udp, Udp(7, 8, "v"u8)), 10);
        var arp = Eth(0xffffffffffff, H1, EtherTypes.Arp, Arp(1, H1, Ip("10.0.0.1"), 0, Ip("10.0.0.2")));
        var in1 = WriteCapture("in1.pcap", (10, arp), (20, web), (40, dns), (50, other), (70, tagged));
        var in4 = WriteCapture("in4.pcap", (60, fromH4));
        var job = new ReplayJob(new ReplayOptions(flowsPath, new[] { new ReplayInput(1, in1), new ReplayInput(4, in4) },
            Path.Combine(_dir, "out"), Path.Combine(_dir, "trace.json")));
        job.Run();

        // web: tos rewritten to 32 with a valid checksum, then table 2 sends 10.0.0.2 to port 2.
        var webOut = (byte[])web.Clone();
        webOut[15] = 32;
        Checksum.FixIpv4Header(webOut.AsSpan(14, 20));
        // dns: output:3 in table 1, then table 2 floods (10.0.0.9 is not 10.0.0.2): ports 2, 3 and 4.
        // other: NORMAL in table 1; H4 unknown at first: flood to 2, 3, 4. fromH4: H1 learned on 1 by then.
        // tagged: strip_vlan then table 1 (udp, not 53): NORMAL; H2 is unknown: flood.
        var untagged = UdpV4("10.0.0.1", "10.0.0.2", 7, 8, "v"u8, H1, H2);
        // arp: NORMAL floods to every other port.
        Assert.Equal(new[] { arp, webOut, dns, other, untagged }, Read(Path.Combine(_dir, "out", "port-2.pcap")));
        Assert.Equal(new[] { arp, dns, dns, other, untagged }, Read(Path.Combine(_dir, "out", "port-3.pcap")));
        Assert.Equal(new[] { arp, dns, other, untagged }, Read(Path.Combine(_dir, "out", "port-4.pcap")));
        Assert.Equal(new[] { fromH4 }, Read(Path.Combine(_dir, "out", "port-1.pcap")));
        var trace = File.ReadAllLines(Path.Combine(_dir, "trace.json"));
        Assert.Equal(6, trace.Length);
        Assert.Equal("""{"frame":2,"in_port":1,"tables":[{"table":0,"priority":10,"cookie":"0x0","flow":"priority=10,ip","actions":"goto_table:1"},{"table":1,"priority":100,"cookie":"0x0","flow":"priority=100,tcp,tp_dst=80","actions":"mod_nw_tos:32,goto_table:2"},{"table":2,"priority":10,"cookie":"0x0","flow":"priority=10,ip,nw_dst=10.0.0.2","actions":"output:2"}],"outputs":[2]}""", trace[1]);
        var summary = job.Summary();
        Assert.Contains("frames replayed: 6", summary);
    }

    [Fact]
    public void Every_output_port_gets_a_capture_even_without_input()
    {
        var flowsPath = Path.Combine(_dir, "fan.flows");
        File.WriteAllText(flowsPath, "in_port=1 actions=output:5,output:6,output:7\n");
        var f = UdpV4("10.0.0.1", "10.0.0.2", 1, 2);
        var in1 = WriteCapture("in1.pcap", (1, f));
        new ReplayJob(new ReplayOptions(flowsPath, new[] { new ReplayInput(1, in1) }, Path.Combine(_dir, "out"))).Run();
        foreach (var p in new[] { 5, 6, 7 }) Assert.Equal(new[] { f }, Read(Path.Combine(_dir, "out", $"port-{p}.pcap")));
        Assert.Empty(Read(Path.Combine(_dir, "out", "port-1.pcap")));
    }

    [Fact]
    public void Replay_interleaves_inputs_by_timestamp()
    {
        var flowsPath = Path.Combine(_dir, "f.flows");
        File.WriteAllText(flowsPath, "in_port=1 actions=output:3\nin_port=2 actions=output:3\n");
        var a1 = UdpV4("10.0.0.1", "10.0.0.2", 1, 1); var a2 = UdpV4("10.0.0.1", "10.0.0.2", 1, 2);
        var b1 = UdpV4("10.0.0.2", "10.0.0.1", 2, 1);
        var in1 = WriteCapture("a.pcap", (100, a1), (300, a2));
        var in2 = WriteCapture("b.pcap", (200, b1));
        new ReplayJob(new ReplayOptions(flowsPath, new[] { new ReplayInput(1, in1), new ReplayInput(2, in2) }, Path.Combine(_dir, "out"))).Run();
        Assert.Equal(new[] { a1, b1, a2 }, Read(Path.Combine(_dir, "out", "port-3.pcap")));
    }

    [Fact]
    public void Bad_flow_file_names_file_line_and_column()
    {
        var flowsPath = Path.Combine(_dir, "bad.flows");
        File.WriteAllText(flowsPath, "# ok\nip actions=drop\n  tcp,tp_dst=http actions=drop\n");
        var e = Assert.Throws<UsageException>(() => FlowFile.Load(flowsPath));
        Assert.StartsWith($"{flowsPath}:3: column 14: expected a number of at most 16 bits[/mask] for tp_dst, got 'http'", e.Message);
    }
}
