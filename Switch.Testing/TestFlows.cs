namespace Switch.Testing;

/// <summary>Flow sets the tests and benches share.</summary>
public static class TestFlows
{
    /// <summary>A stateful firewall in zone 1: port 1 may open connections (committed), either side's established
    /// traffic passes, everything else is dropped.</summary>
    public static readonly string[] Firewall =
    {
        "table=0,priority=10,ip actions=ct(table=1,zone=1)",
        "table=1,priority=20,in_port=1,ip,ct_state=+trk+new actions=ct(commit,zone=1),output:2",
        "table=1,priority=10,in_port=1,ct_state=+trk+est actions=output:2",
        "table=1,priority=10,in_port=2,ct_state=+trk+est actions=output:1",
        "table=1,priority=1 actions=drop",
    };
}
