using Switch.Node;
using Switch.Node.Commands;
using Xunit;

namespace Switch.Tests.Control;

[Trait("Category", Tiers.Unit)]
public class NodeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-cfg-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Writes the config, with a security section unless it has one (every node needs one).</summary>
    private string Write(string json)
    {
        var p = Path.Combine(_dir, "n.json");
        if (!json.Contains("\"security\"") && json.StartsWith('{') && json.Length > 2) json = "{\"security\":{\"dir\":\"pki\"}," + json[1..];
        File.WriteAllText(p, json);
        return p;
    }

    private string WriteAsIs(string json) { var p = Path.Combine(_dir, "n.json"); File.WriteAllText(p, json); return p; }

    [Fact]
    public void Every_node_needs_a_security_section_and_an_https_api()
    {
        var e = Assert.Throws<UsageException>(() => NodeConfig.Load(WriteAsIs("""{"name":"n1"}""")));
        Assert.Contains("a security section is required: `dswitch security init --out DIR`", e.Message);
        e = Assert.Throws<UsageException>(() => NodeConfig.Load(Write("""{"name":"n1","api":"http://127.0.0.1:8080"}""")));
        Assert.Contains("api must be an https:// URL", e.Message);
        e = Assert.Throws<UsageException>(() => NodeConfig.Load(Write("""{"name":"n1","cluster":{"seeds":["akka.tcp://dswitch@10.0.0.1:4053"]}}""")));
        Assert.Contains("expected akka.ssl.tcp://dswitch@HOST:PORT (remoting is TLS)", e.Message);
        e = Assert.Throws<UsageException>(() => NodeConfig.Load(Write("""{"name":"n1","security":{"ca":"ca.crt"}}""")));
        Assert.Contains("security.certificate is required (or security.dir holding tls.crt)", e.Message);
        // dir names the files security init writes, relative to the config file; an explicit field wins.
        var c = NodeConfig.Load(Write("""{"name":"n1","security":{"dir":"pki","tokens":"/etc/tok.json","metrics":"open"}}"""));
        Assert.Equal((Path.Combine(_dir, "pki", "ca.crt"), Path.Combine(_dir, "pki", "tls.key"), "/etc/tok.json", "open"),
            (c.Security!.Ca, c.Security.Key, c.Security.Tokens, c.Security.Metrics));
    }

    [Fact]
    public void Paths_are_relative_to_the_config_file_and_defaults_fill_the_rest()
    {
        var c = NodeConfig.Load(Write("""{"name":"n2","flows":"f.flows","ports":{"1":{"pcapOut":"out/p1.pcap","mtu":1500},"LOCAL":{}}}"""));
        Assert.Equal(("n2", NodeConfig.DefaultApi), (c.Name, c.Api));
        Assert.Equal(Path.Combine(_dir, "f.flows"), c.Flows);
        Assert.Equal(Path.Combine(_dir, "out/p1.pcap"), c.Ports["1"].PcapOut);
        Assert.Equal(1500, c.Ports["1"].Mtu);
        Assert.Equal(0xfffeu, NodeConfig.PortNumber("LOCAL"));
    }

    [Fact]
    public void Conntrack_timeouts_take_the_sysctl_names_and_refuse_unknown_ones()
    {
        var c = NodeConfig.Load(Write("""{"name":"n1","conntrack":{"maxConnections":10,"timeouts":{"tcp_timeout_syn_sent":3600,"udp_timeout":45}}}"""));
        var t = c.Conntrack!.Settings().Timeouts;
        Assert.Equal((3600, 45, 432000), ((int)t.TcpSynSent.TotalSeconds, (int)t.UdpUnreplied.TotalSeconds, (int)t.TcpEstablished.TotalSeconds));
        var e = Assert.Throws<UsageException>(() => NodeConfig.Load(Write("""{"name":"n1","conntrack":{"timeouts":{"tcp_syn_sent":1}}}""")));
        Assert.Contains("conntrack.timeouts: unknown timeout 'tcp_syn_sent', expected one of tcp_timeout_syn_sent", e.Message);
        e = Assert.Throws<UsageException>(() => NodeConfig.Load(Write("""{"name":"n1","conntrack":{"timeouts":{"udp_timeout":0}}}""")));
        Assert.Contains("conntrack.timeouts.udp_timeout must be at least 1 second", e.Message);
    }

    [Fact]
    public void An_interface_named_by_environment_variable_is_read_from_the_environment_or_refused_naming_the_port()
    {
        // A name of this test's own: environment variables are process-wide.
        var name = "DSWITCH_TEST_IFACE_" + Guid.NewGuid().ToString("N");
        var path = Write("""{"name":"n1","ports":{"1":{"interface":"$NAME"},"2":{"interface":"veth-b"}}}""".Replace("NAME", name));
        var e = Assert.Throws<UsageException>(() => NodeConfig.Load(path));
        Assert.Contains($"ports.1.interface: environment variable {name} is not set", e.Message);
        Environment.SetEnvironmentVariable(name, "ens5f1");
        try
        {
            var c = NodeConfig.Load(path);
            Assert.Equal(("ens5f1", "veth-b"), (c.Ports["1"].Interface, c.Ports["2"].Interface));
        }
        finally { Environment.SetEnvironmentVariable(name, null); }
    }

    [Theory]
    [InlineData("""{"name":"n1","shards":4}""", "shards")]
    [InlineData("""{"name":"n1","ports":{"0":{}}}""", "expected a port number")]
    [InlineData("""{"name":"n1","api":"http://0.0.0.0:1"}""", "https://")]
    [InlineData("""{"name":"n1","security":{"dir":"pki","metrics":"public"}}""", "security.metrics: expected reader or open")]
    [InlineData("""{"name":"n1","ports":{"1":{"mtu":-1}}}""", "mtu")]
    [InlineData("""{"name":""}""", "name")]
    [InlineData("""{"name":"n1",""", "n.json")]
    public void Mistakes_are_usage_errors_naming_the_file(string json, string says)
    {
        var e = Assert.Throws<UsageException>(() => NodeConfig.Load(Write(json)));
        Assert.Contains(says, e.Message);
        Assert.StartsWith(Path.Combine(_dir, "n.json"), e.Message);
    }
}
