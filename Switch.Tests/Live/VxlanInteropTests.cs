using Xunit;

namespace Switch.Tests.Live;

/// <summary>
/// A DistSwitch VXLAN port against the Linux kernel's vxlan device. Host K (ds-lv-kh, 10.67.0.1) sits behind live port 1;
/// the kernel vxlan device (VNI 42) lives in ds-lv-kv at 10.67.0.2, its underlay a veth pair to the root namespace
/// (10.68.0.1, where the switch's VXLAN port listens). The flows send what K sends into the
/// tunnel, and let back only what the tunnel brings with tun_id=42 from tun_src=10.68.0.2: ping needs both ways.
/// </summary>
[Trait("Category", Tiers.Live)]
[Collection(LiveCollection.Name)]
public sealed class VxlanInteropTests
{
    private const string Kh = NetNs.Prefix + "-kh", Kv = NetNs.Prefix + "-kv";
    private const string Vx = NetNs.LinkPrefix + "vx";
    private const int KernelPort = 47990, OurPort = 47991;

    [LiveFact]
    public async Task Kernel_vxlan_device_exchanges_frames_with_a_dswitch_vxlan_port()
    {
        NetNs.CleanupLeftovers();
        var dir = Directory.CreateTempSubdirectory("ds-lv-vx-").FullName;
        SwitchProcess? sw = null;
        try
        {
            NetNs.Host(Kh, NetNs.LinkPrefix + "k", "10.67.0.1/24", mtu: 1450);
            // Underlay: a veth pair from the root namespace (10.68.0.1, where the switch's VXLAN socket listens) to ds-lv-kv.
            // It cannot be loopback: Linux vxlan delivers to a local address by bypassing the UDP encapsulation.
            NetNs.Host(Kv, NetNs.LinkPrefix + "u", "10.68.0.2/24");
            NetNs.Ip("addr", "add", "10.68.0.1/24", "dev", NetNs.LinkPrefix + "u");
            NetNs.Ip("-n", Kv, "link", "add", Vx, "type", "vxlan", "id", "42", "local", "10.68.0.2", "dstport", KernelPort.ToString(), "nolearning", "dev", "eth0");
            // The kernel listens on its dstport; where it sends is the all-zeros fdb entry's port: ours.
            NetNs.Must("ip", "netns", "exec", Kv, "bridge", "fdb", "append", "00:00:00:00:00:00", "dev", Vx, "dst", "10.68.0.1", "port", OurPort.ToString());
            NetNs.Ip("-n", Kv, "link", "set", Vx, "mtu", "1450");
            NetNs.Ip("-n", Kv, "addr", "add", "10.67.0.2/24", "dev", Vx);
            NetNs.Ip("-n", Kv, "link", "set", Vx, "up");
            NetNs.In(Kv, "ethtool", "-K", Vx, "tx", "off");

            File.WriteAllText(Path.Combine(dir, "vx.flows"), """
                table=0,priority=10,in_port=1 actions=output:10
                table=0,priority=10,in_port=10,tun_id=42,tun_src=10.68.0.2 actions=output:1
                table=0,priority=0 actions=drop
                """ + "\n");
            File.WriteAllText(Path.Combine(dir, "node.json"),
                "{\"name\":\"vx1\",\"api\":\"https://127.0.0.1:0\"," + global::Switch.Testing.TestPki.SecurityJson + ",\"flows\":\"vx.flows\",\"ports\":{" +
                $"\"1\":{{\"interface\":\"{NetNs.LinkPrefix}k\",\"mtu\":1450}}," +
                $"\"10\":{{\"vxlan\":{{\"local\":\"10.68.0.1:{OurPort}\",\"vni\":42,\"remotes\":[\"10.68.0.2:{KernelPort}\"]}}}}}}}}");
            sw = new SwitchProcess(Path.Combine(dir, "node.json"));
            var api = await sw.Ready(TimeSpan.FromSeconds(30));

            var (code, output) = Traffic.Ping(Kh, "10.67.0.2");
            Assert.True(code == 0, $"ping through the kernel vxlan failed: {output}\n{sw.Log}");
            await Traffic.TcpTransfer(Kh, Kv, "10.67.0.2", 5004, 256 << 10);

            var o = new StringWriter();
            Assert.Equal(0, Switch.Node.Commands.CtlCommand.Run(["--seed", api, "ports"], o, o));
            var tunnel = Assert.Single(o.ToString().Split('\n'), l => l.StartsWith("10 "));
            Assert.Contains("vxlan", tunnel);
        }
        finally
        {
            sw?.Dispose();
            NetNs.CleanupLeftovers();
            Directory.Delete(dir, true);
        }
    }

    [LiveFact]
    public void A_missing_interface_is_a_one_line_error()
    {
        var dir = Directory.CreateTempSubdirectory("ds-lv-err-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "node.json"),
                "{\"name\":\"e\",\"api\":\"https://127.0.0.1:0\"," + global::Switch.Testing.TestPki.SecurityJson + ",\"ports\":{\"1\":{\"interface\":\"dslv-nope\"}}}");
            var dll = typeof(Switch.Node.Program).Assembly.Location;
            var (code, output) = NetNs.Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", dll, "run", "--config", Path.Combine(dir, "node.json"));
            Assert.Equal(1, code);
            Assert.Equal("dswitch: port 1: no interface 'dslv-nope'", output.Trim());
        }
        finally { Directory.Delete(dir, true); }
    }
}
