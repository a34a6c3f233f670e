using Switch.Node;
using Switch.Node.Commands;
using Xunit;

namespace Switch.Tests.Node;

[Trait("Category", Tiers.Unit)]
[Collection("console")]
public class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-cli-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Flows(string text) { var p = Path.Combine(_dir, "f.flows"); File.WriteAllText(p, text); return p; }

    [Fact]
    public void Trace_prints_tables_flows_actions_and_outputs()
    {
        var path = Flows("table=0,priority=10,tcp,tp_dst=80 actions=resubmit(,1),output:3\ntable=1,priority=5,ip,nw_src=10.0.0.0/8 actions=mod_nw_tos:8,output:2\n");
        var sw = new StringWriter();
        Assert.Equal(0, TraceCommand.Run(new[] { "--flows", path, "in_port=1,tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2,tp_dst=80,tcp_flags=syn" }, sw));
        var text = sw.ToString();
        Assert.Contains("0. priority=10,tcp,tp_dst=80, priority 10, cookie 0x0", text);
        Assert.Contains("    1. priority=5,ip,nw_src=10.0.0.0/8, priority 5", text);
        Assert.Contains("mod_nw_tos:8,output:2", text);
        Assert.Contains("Datapath actions: output:2,output:3", text);
    }

    [Fact]
    public void Trace_of_a_miss_says_drop()
    {
        var path = Flows("table=0,priority=10,udp actions=output:2\n");
        var sw = new StringWriter();
        TraceCommand.Run(new[] { "--flows", path, "in_port=1,tcp,tp_dst=80" }, sw);
        Assert.Contains("0. No match (table miss): drop", sw.ToString());
        Assert.Contains("Datapath actions: drop (table_miss:0)", sw.ToString());
    }

    [Fact]
    public void Dump_flows_prints_ovs_ofctl_format()
    {
        var path = Flows("table=1,priority=5,udp actions=drop\ncookie=0x5,table=0,priority=10,tcp,tp_dst=80 actions=output:3\n");
        var sw = new StringWriter();
        DumpFlowsCommand.Run(new[] { "--flows", path }, sw);
        var lines = sw.ToString().TrimEnd().Split('\n');
        Assert.Matches(@"^ cookie=0x5, duration=\d+\.\d{3}s, table=0, n_packets=0, n_bytes=0, priority=10,tcp,tp_dst=80 actions=output:3$", lines[0]);
        Assert.EndsWith("table=1, n_packets=0, n_bytes=0, priority=5,udp actions=drop", lines[1]);
    }

    [Fact]
    public void Errors_are_one_line_with_nonzero_exit()
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            Assert.Equal(1, Program.Main(new[] { "replay", "--flows", Path.Combine(_dir, "missing.flows"), "--port", "1=x.pcap" }));
            Assert.Equal(1, Program.Main(new[] { "replay", "--port", "zero=x.pcap", "--flows", "f" }));
            Assert.Equal(1, Program.Main(new[] { "bogus" }));
            var badPcap = Path.Combine(_dir, "bad.pcap");
            File.WriteAllBytes(badPcap, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
            Assert.Equal(1, Program.Main(new[] { "replay", "--flows", Flows("actions=drop\n"), "--port", "1=" + badPcap, "--out", Path.Combine(_dir, "o") }));
        }
        finally { Console.SetError(saved); }
        var lines = err.ToString().Trim().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("dswitch: ", l));
        Assert.Contains("not found", lines[0]);
        Assert.Contains("--port expects N=FILE", lines[1]);
        Assert.Contains("unknown command 'bogus'", lines[2]);
        Assert.Contains("bad.pcap", lines[3]);
    }
}
