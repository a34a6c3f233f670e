namespace Switch.Node.Commands;

/// <summary>`dswitch generate-samples`: (re)writes the bundled captures and flow files.</summary>
public static class SamplesCommand
{
    public const string Firewall = """
        # Stateful firewall between port 1 (inside, host A) and port 2 (outside, host B).
        # Every IP packet goes through conntrack in zone 1, then table 1 decides on its ct_state.
        table=0,priority=100,arp actions=NORMAL
        table=0,priority=90,ip actions=ct(table=1,zone=1)
        table=0,priority=90,ipv6 actions=ct(table=1,zone=1)
        table=0,priority=0 actions=drop
        # Invalid packets (no connection, out of window, bad flags) are dropped.
        table=1,priority=200,ct_state=+trk+inv actions=drop
        # Inside may open connections: commit them.
        table=1,priority=100,ip,in_port=1,ct_state=+trk+new actions=ct(commit,zone=1),output:2
        table=1,priority=100,ipv6,in_port=1,ct_state=+trk+new actions=ct(commit,zone=1),output:2
        table=1,priority=100,in_port=1,ct_state=+trk+est actions=output:2
        table=1,priority=100,in_port=1,ct_state=+trk+rel actions=output:2
        # Outside may only answer.
        table=1,priority=100,in_port=2,ct_state=+trk+est actions=output:1
        table=1,priority=100,in_port=2,ct_state=+trk+rel actions=output:1
        table=1,priority=0 actions=drop
        """;

    public const string ThreeTable = """
        # A 3-table pipeline: classify, rewrite, forward (NORMAL and explicit outputs).
        table=0,priority=100,dl_vlan=10 actions=strip_vlan,resubmit(,1)
        table=0,priority=50,arp actions=NORMAL
        table=0,priority=10,ip actions=goto_table:1
        table=0,priority=0 actions=drop
        table=1,priority=100,tcp,tp_dst=80 actions=mod_nw_tos:32,goto_table:2
        table=1,priority=90,udp,tp_dst=53 actions=output:3,goto_table:2
        table=1,priority=10,ip actions=NORMAL
        table=2,priority=10,ip,nw_dst=10.0.0.2 actions=output:2
        table=2,priority=5,ip actions=FLOOD
        """;

    public static int Run(string[] argv, TextWriter output)
    {
        var a = new Args(argv, Array.Empty<string>(), new[] { "out" });
        var dir = a.Get("out") ?? "samples";
        Directory.CreateDirectory(Path.Combine(dir, "flows"));
        File.WriteAllText(Path.Combine(dir, "flows", "firewall.flows"), Firewall + "\n");
        File.WriteAllText(Path.Combine(dir, "flows", "three-table.flows"), ThreeTable + "\n");
        SampleTraffic.Write(Path.Combine(dir, "pcap"));
        output.WriteLine($"wrote {dir}/flows/firewall.flows, {dir}/flows/three-table.flows, {dir}/pcap/host-a.pcap, {dir}/pcap/host-b.pcap");
        return 0;
    }
}
