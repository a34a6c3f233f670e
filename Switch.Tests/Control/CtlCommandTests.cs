using Switch.Core.Ports;
using Switch.Node.Commands;
using Xunit;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Control;

/// <summary>`dswitch ctl` end to end against a running control API.</summary>
[Trait("Category", Tiers.Unit)]
public class CtlCommandTests : ControlServer, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-ctl-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Ctl(params string[] args) => CtlAt(Url, args);

    private static (int Code, string Out, string Err) CtlAt(string seed, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CtlCommand.Run(new[] { "--seed", seed }.Concat(args).ToArray(), o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Add_flow_add_flows_and_dump_flows()
    {
        var file = Path.Combine(_dir, "fw.flows");
        File.WriteAllText(file, SamplesCommand.Firewall + "\n");
        Assert.Equal(0, Ctl("add-flows", file).Code);
        // Unquoted words after the verb are one flow, as the shell split them.
        Assert.Equal((0, "", ""), Ctl("add-flow", "table=2,priority=7,udp", "actions=output:9"));
        var (code, output, err) = Ctl("dump-flows", "table=2");
        Assert.Equal((0, ""), (code, err));
        Assert.Matches(@"^ cookie=0x0, duration=\d+\.\d{3}s, table=2, n_packets=0, n_bytes=0, priority=7,udp actions=output:9\r?\n$", output);
        Assert.Equal(13, Ctl("dump-flows").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        Assert.Equal(0, Ctl("mod-flows", "--strict", "table=2,priority=7,udp actions=output:8").Code);
        Assert.Contains("actions=output:8", Ctl("dump-flows", "table=2").Out);
        Assert.Equal(0, Ctl("del-flows", "table=2").Code);
        Assert.Equal("", Ctl("dump-flows", "table=2").Out);
    }

    [Fact]
    public void Packet_out_conntrack_trace_and_cluster()
    {
        Assert.Equal(0, Ctl("add-flows", WriteFirewall()).Code);
        var syn = Ctl("packet-out", "in_port=1", "packet=" + SynAToB);
        Assert.Equal("frame 1: ct_state=+new+trk ct_zone=1 ct_mark=0x0 outputs=2" + Environment.NewLine, syn.Out);
        // A pcap: every frame of the file, numbered in order.
        var pcap = Path.Combine(_dir, "b.pcap");
        using (var w = new PcapWriter(pcap))
        {
            w.Write(1, TcpV4(B, A, 80, 40000, Syn | Ack, 5000, 1001, dlSrc: MacB, dlDst: MacA));
            w.Write(2, TcpV4(B, A, 41000, 22, Syn, 9000, dlSrc: MacB, dlDst: MacA));
        }
        var fromB = Ctl("packet-out", "--node", "n1", "in_port=2,pcap=" + pcap);
        Assert.Equal(new[]
        {
            "frame 1: ct_state=+est+rpl+trk ct_zone=1 ct_mark=0x0 outputs=1",
            "frame 2: ct_state=+new+trk ct_zone=1 ct_mark=0x0 drop=drop_action",
        }, fromB.Out.TrimEnd().Split(Environment.NewLine));

        Assert.StartsWith("tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80)", Ctl("dump-conntrack", "zone=1").Out);
        Assert.Equal("", Ctl("dump-conntrack", "zone=3").Out);
        Assert.Equal(0, Ctl("flush-conntrack", "zone=1", "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80)").Code);
        Assert.Equal("", Ctl("dump-conntrack").Out);

        var trace = Ctl("trace", "in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80,tcp_flags=syn").Out;
        Assert.Contains("Datapath actions: output:2", trace);

        var table = Ctl("cluster").Out.Split(Environment.NewLine);
        Assert.Matches(@"^\s+name\s+address\s+status\s+roles\s+shards\s+connections\s+leases\s+api$", table[0]);
        Assert.Matches($@"^\*\s+n1\s+local\s+Up\s+single-node\s+0\s+0\s+0\s+{Url}$", table[1]);
        Assert.Equal("leader: n1", table[2]);
    }

    [Fact]
    public void A_bad_flow_is_one_error_line_naming_file_line_and_column()
    {
        var file = Path.Combine(_dir, "bad.flows");
        File.WriteAllText(file, "# firewall\ntable=0,priority=10,ip actions=output:2\n\ntable=0,priority=5,tcp,tp_dst=http actions=drop\n");
        var (code, output, err) = Ctl("add-flows", file);
        Assert.Equal((1, ""), (code, output));
        Assert.Equal($"dswitch: {file}:4: column 31: expected a number of at most 16 bits[/mask] for tp_dst, got 'http'{Environment.NewLine}", err);
        Assert.Equal("", Ctl("dump-flows").Out);

        var one = Ctl("add-flow", "priority=5,tcp,tp_dst=http actions=drop");
        Assert.Equal(1, one.Code);
        Assert.StartsWith("dswitch: flow 1: column 23: ", one.Err);
        Assert.Single(one.Err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void An_unreachable_seed_and_a_missing_seed_are_one_line_errors()
    {
        var seed = $"https://127.0.0.1:{ClosedPort()}";
        var (code, output, err) = CtlAt(seed, "dump-flows");
        Assert.Equal((1, ""), (code, output));
        Assert.StartsWith($"dswitch: cannot reach seed {seed}: ", err);
        Assert.Single(err.TrimEnd().Split('\n'));

        var e = new StringWriter();
        Assert.Equal(1, CtlCommand.Run(new[] { "dump-flows" }, new StringWriter(), e));
        Assert.StartsWith("dswitch: ctl needs --seed", e.ToString());
        Assert.Equal(1, Ctl("frobnicate").Code);
        Assert.StartsWith("dswitch: unknown ctl verb 'frobnicate'", Ctl("frobnicate").Err);
    }

    [Fact]
    public void The_seed_can_come_from_DSWITCH_SEED()
    {
        var saved = Environment.GetEnvironmentVariable("DSWITCH_SEED");
        Environment.SetEnvironmentVariable("DSWITCH_SEED", Url);
        try
        {
            var o = new StringWriter();
            Assert.Equal(0, CtlCommand.Run(new[] { "add-flow", "priority=3,arp actions=NORMAL" }, o, o));
            Assert.Equal(0, CtlCommand.Run(new[] { "dump-flows" }, o, o));
            Assert.EndsWith("priority=3,arp actions=NORMAL" + Environment.NewLine, o.ToString());
        }
        finally { Environment.SetEnvironmentVariable("DSWITCH_SEED", saved); }
    }

    private string WriteFirewall()
    {
        var file = Path.Combine(_dir, "fw.flows");
        File.WriteAllText(file, SamplesCommand.Firewall + "\n");
        return file;
    }
}
