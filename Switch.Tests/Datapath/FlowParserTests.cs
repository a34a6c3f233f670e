using Switch.Core.Datapath;
using Xunit;

namespace Switch.Tests.Datapath;

[Trait("Category", Tiers.Unit)]
public class FlowParserTests
{
    [Theory]
    [InlineData("table=0, priority=100,tcp,in_port=1,nw_src=10.0.0.0/24,tp_dst=80 actions=output:2")]
    [InlineData("table=1, priority=200,ct_state=+new-est+trk,ip actions=ct(commit,zone=5),output:2")]
    [InlineData("table=0, priority=10,ip actions=ct(table=1,zone=NXM_NX_REG0[0..15])")]
    [InlineData("table=0, priority=10,ip actions=ct(commit,zone=3,exec(set_field:0x1/0x1->ct_mark,set_field:0xff->ct_label),alg=ftp)")]
    [InlineData("cookie=0x1f, table=2, idle_timeout=10, hard_timeout=60, priority=5,udp6,ipv6_src=2001:db8::/64,tp_src=53 actions=NORMAL")]
    [InlineData("table=0, priority=1,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=FLOOD")]
    [InlineData("table=0, priority=1,tcp,tcp_flags=+syn-ack actions=drop")]
    [InlineData("table=0, priority=1,reg0=0x5/0xff,metadata=0x10 actions=resubmit(,3)")]
    [InlineData("table=0, priority=1,ct_mark=0x1/0x1,ip actions=resubmit(2,4)")]
    [InlineData("table=0, priority=1,arp,arp_spa=10.0.0.1,arp_op=1 actions=ALL")]
    [InlineData("table=0, priority=1,icmp,icmp_type=8,icmp_code=0 actions=LOCAL")]
    [InlineData("table=0, priority=1,ip,nw_frag=later actions=IN_PORT")]
    [InlineData("table=0, priority=1,dl_vlan=10 actions=strip_vlan,push_vlan:0x8100,mod_vlan_vid:20,mod_vlan_pcp:3,goto_table:1")]
    [InlineData("table=0, priority=1,ip actions=mod_dl_src:02:00:00:00:00:01,mod_dl_dst:02:00:00:00:00:02,mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8,mod_nw_tos:16,dec_ttl,output:3")]
    [InlineData("table=0, priority=1,tcp actions=mod_tp_src:1000,mod_tp_dst:2000,load:0x5->NXM_NX_REG0[0..15],move:NXM_NX_REG0[0..15]->NXM_NX_REG1[16..31],set_field:10.0.0.9->nw_dst,output:NXM_NX_REG2[0..15]")]
    [InlineData("table=0, priority=1,ct_nw_src=10.0.0.1,ct_nw_proto=6,ct_tp_dst=80,ip actions=ct_clear,note:01.02.03,controller(reason=no_match,max_len=128)")]
    [InlineData("table=0, priority=1,ct_ipv6_dst=2001:db8::1,ipv6 actions=CONTROLLER:65535")]
    [InlineData("table=3, priority=0 actions=drop")]
    public void Canonical_text_round_trips(string text)
    {
        var flow = FlowParser.Parse(text);
        Assert.Equal(text, flow.ToString());
        Assert.Equal(text, FlowParser.Parse(flow.ToString()).ToString());
    }

    [Theory]
    [InlineData("priority=100,tcp,nw_src=10.0.0.0/24,tp_dst=80,actions=output:2", "table=0, priority=100,tcp,nw_src=10.0.0.0/24,tp_dst=80 actions=output:2")]
    [InlineData("ip,nw_dst=10.1.2.3/255.255.0.0 actions=2", "table=0, ip,nw_dst=10.1.0.0/16 actions=output:2")]
    [InlineData("dl_type=0x0800,nw_proto=6 actions=normal", "table=0, tcp actions=NORMAL")]
    [InlineData("ct_state=0x82/0x82,ip actions=drop", "table=0, ct_state=+est+trk,ip actions=drop")]
    [InlineData("tcp6,tcp_flags=0x002/0x012 actions=drop", "table=0, tcp6,tcp_flags=+syn-ack actions=drop")]
    [InlineData("arp,nw_src=10.0.0.1 actions=drop", "table=0, arp,arp_spa=10.0.0.1 actions=drop")]
    [InlineData(" cookie=0x0, duration=1.5s, table=0, n_packets=3, n_bytes=180, priority=5,ip actions=drop", "table=0, priority=5,ip actions=drop")]
    public void Other_spellings_format_canonically(string text, string canonical) =>
        Assert.Equal(canonical, FlowParser.Parse(text).ToString());

    /// <summary>Regression (fuzzing): an unclosed parenthesis swallowed the rest of a selection, so
    /// "tcp,tp_dst=21 x(y" selected every tcp flow to port 21 and the stray text was ignored.</summary>
    [Theory]
    [InlineData("tcp,tp_dst=21 acti_ons=ct(commit,zone=(1", 15)]
    [InlineData("tcp,tp_dst=21,note(1", 15)]
    public void An_unclosed_parenthesis_in_a_selection_is_an_error(string text, int column)
    {
        var (flow, err) = FlowParser.TryParse(text, FlowTextMode.Select);
        Assert.Null(flow);
        Assert.Equal(column, err!.Column);
    }

    [Theory]
    [InlineData("tcp,nw_src=10.0.0.300 actions=drop", 12, "IPv4 address")]
    [InlineData("tp_dst=80 actions=drop", 1, "requires tcp, udp or sctp")]
    [InlineData("ip,nw_src=10.0.0.1 actions=frobnicate", 28, "expected an action")]
    [InlineData("ip,nw_src=10.0.0.1", 19, "actions=")]
    [InlineData("priority=70000,ip actions=drop", 10, "priority 0-65535")]
    [InlineData("ip,bogus=1 actions=drop", 4, "unknown field 'bogus'")]
    [InlineData("ct_state=+trk+foo actions=drop", 10, "ct_state flags")]
    [InlineData("ip actions=ct(commit,zone=70000)", 27, "zone 0-65535")]
    [InlineData("ip actions=ct(exec(set_field:1->ct_mark))", 15, "requires commit")]
    [InlineData("ip actions=ct(commit,exec(set_field:1.2.3.4->nw_src))", 46, "may only set ct_mark")]
    [InlineData("arp actions=ct(commit)", 13, "ct requires ip")]
    [InlineData("ip actions=output:2,drop", 21, "drop must be the only action")]
    [InlineData("table=2,ip actions=goto_table:1", 20, "later table")]
    [InlineData("ip actions=goto_table:3,output:1", 12, "goto_table must be the last")]
    [InlineData("ip actions=set_field:1.2.3.4->ipv6_src", 22, "IPv6 address")]
    [InlineData("ip actions=mod_tp_dst:80", 12, "requires tcp, udp or sctp")]
    [InlineData("ip,ip,nw_src=1.1.1.1,nw_src=2.2.2.2 actions=drop", 22, "more than once")]
    [InlineData("ip actions=load:0x1ffff->NXM_NX_REG0[0..15]", 17, "does not fit")]
    [InlineData("ip actions=ct(commit,nat)", 22, "nat is not supported")]
    [InlineData("ip actions=output", 18, "expected a port number")] // fuzzing: crashed (IndexOutOfRange)
    [InlineData("ip actions=load:0x1->NXM_NX_REG0[-1..3]", 34, "expected a bit range [start..end] within 0..31")] // issue 12: a signed bit range was accepted
    [InlineData("ip actions=resubmit", 20, "resubmit(PORT,TABLE)")]
    public void Bad_flow_text_names_column_and_expectation(string text, int column, string expect)
    {
        var (flow, err) = FlowParser.TryParse(text);
        Assert.Null(flow);
        Assert.NotNull(err);
        Assert.Contains(expect, err!.Message);
        Assert.Equal(column, err.Column);
    }

    [Fact]
    public void Select_mode_rejects_actions_and_allows_cookie_mask()
    {
        var sel = FlowParser.Parse("cookie=0x10/0xf0,tcp", FlowTextMode.Select);
        Assert.Equal(0xf0UL, sel.CookieMask);
        Assert.NotNull(FlowParser.TryParse("tcp actions=drop", FlowTextMode.Select).Error);
        Assert.Contains("cookie mask", FlowParser.TryParse("cookie=0x1/0x1,tcp actions=drop").Error!.Message);
    }
}
