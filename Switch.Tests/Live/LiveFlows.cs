namespace Switch.Tests.Live;

/// <summary>The stateful firewall of the live tests: host A on port 1 may open connections to host B on port 2, B may only
/// answer. As the bundled sample, plus what an operator adds for FTP: the control connection gets the FTP ALG, and a data
/// connection B opens back to A (active mode) is allowed and committed because it is related to an allowed one.</summary>
public static class LiveFlows
{
    public const string Firewall = """
        table=0,priority=100,arp actions=NORMAL
        table=0,priority=90,ip actions=ct(table=1,zone=1)
        table=0,priority=0 actions=drop
        table=1,priority=200,ct_state=+trk+inv actions=drop
        table=1,priority=110,tcp,in_port=1,tp_dst=21,ct_state=+trk+new actions=ct(commit,zone=1,alg=ftp),output:2
        table=1,priority=100,ip,in_port=1,ct_state=+trk+new actions=ct(commit,zone=1),output:2
        table=1,priority=100,in_port=1,ct_state=+trk+est actions=output:2
        table=1,priority=100,in_port=1,ct_state=+trk+rel actions=output:2
        table=1,priority=110,ip,in_port=2,ct_state=+trk+new+rel actions=ct(commit,zone=1),output:1
        table=1,priority=100,in_port=2,ct_state=+trk+est actions=output:1
        table=1,priority=100,in_port=2,ct_state=+trk+rel actions=output:1
        table=1,priority=0 actions=drop
        """;
}
