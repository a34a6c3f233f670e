using System.Text.Json;
using Switch.Core.Ports;
using Switch.Node.Commands;
using Xunit;

namespace Switch.Tests.Node;

/// <summary>The bundled stateful-firewall sample, replayed as the README says (dswitch replay with no arguments).</summary>
[Trait("Category", Tiers.Unit)]
[Collection("console")]
public class FirewallSampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-fw-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Bundled_captures_match_the_generator()
    {
        var built = SampleTraffic.Build();
        var a = PcapReader.ReadFile(Path.Combine(Samples.Directory(), "pcap", "host-a.pcap")).Select(r => r.Data).ToList();
        Assert.Equal(built.Where(b => b.Port == 1).Select(b => b.Frame), a);
    }

    [Fact]
    public void Inside_opens_outside_answers_invalid_and_new_from_outside_dropped()
    {
        var sw = new StringWriter();
        var outDir = Path.Combine(_dir, "out");
        var trace = Path.Combine(_dir, "t.jsonl");
        Assert.Equal(0, ReplayCommand.Run(new[] { "--out", outDir, "--trace-json", trace, "--dump-conntrack" }, sw));
        var traffic = SampleTraffic.Build();
        // Everything host A sent reaches port 2 byte for byte: the fragmented UDP datagram is reassembled for
        // conntrack and refragmented to its MRU on output, giving back the sender's fragments.
        var toB = PcapReader.ReadFile(Path.Combine(outDir, "port-2.pcap")).Select(r => r.Data).ToList();
        Assert.Equal(traffic.Where(t => t.Port == 1).Select(t => t.Frame), toB);
        // Host B's answers reach port 1; its new SYN and its stray SYN-ACK do not.
        var fromB = traffic.Where(t => t.Port == 2).Select(t => t.Frame).ToList();
        var toA = PcapReader.ReadFile(Path.Combine(outDir, "port-1.pcap")).Select(r => r.Data).ToList();
        Assert.Equal(fromB.Take(fromB.Count - 2), toA);

        var lines = File.ReadAllLines(trace).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        string? State(int frame) => lines[frame - 1].TryGetProperty("ct", out var ct) ? ct.GetProperty("ct_state_flags").GetString() : null;
        Assert.Null(State(1));                         // ARP: no ct
        Assert.Equal("+new+trk", State(3));            // ping request
        Assert.Equal("+est+rpl+trk", State(4));        // ping reply
        Assert.Equal("+new+trk", State(7));            // SYN
        Assert.Equal("+est+rpl+trk", State(8));        // SYN-ACK
        Assert.Equal("+est+trk", State(9));            // ACK
        Assert.Equal("+new+trk", State(20));           // B's SYN to A: new, not committed, dropped
        Assert.Equal("drop_action", lines[19].GetProperty("drop").GetString());
        Assert.Equal("+inv+trk", State(21));           // SYN-ACK answering nothing
        Assert.Equal(1, lines[20].GetProperty("ct").GetProperty("ct_zone").GetInt32());
        var text = sw.ToString();
        Assert.Contains("tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40000),zone=1,protoinfo=(state=TIME_WAIT)", text);
        Assert.Contains("udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=6000,dport=7000)", text);
    }
}
