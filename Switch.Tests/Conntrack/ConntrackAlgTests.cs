using Xunit;
using Switch.Core.Conntrack;
using F = Switch.Core.Packets.FrameBuilder;
using static Switch.Tests.Conntrack.CtHarness;

namespace Switch.Tests.Conntrack;

[Trait("Category", Tiers.Unit)]
public class ConntrackAlgTests
{
    private const string Client = "10.0.0.1", Server = "10.0.0.2";
    private const ushort Cp = 40000;

    /// <summary>An FTP control connection with the ftp helper; returns the next client/server sequence numbers.</summary>
    private static (uint c, uint s) Control(CtHarness h, ushort zone = 0, uint mark = 0)
    {
        var req = new CtRequest(zone, Commit: true, Alg: CtAlg.Ftp, SetMark: mark != 0, Mark: mark, MarkMask: 0xffffffff,
            SetLabel: mark != 0, Label: mark, LabelMask: UInt128.MaxValue);
        h.Handshake(Client, Server, Cp, 21, zone, commitReq: req);
        const string banner = "220 ready\r\n";
        Assert.Equal("est,rpl,trk", h.Ct(Tcp(Server, Client, 21, Cp, F.Ack | F.Psh, 5001, 1001, banner), zone));
        return (1001, 5001 + (uint)banner.Length);
    }

    private static string Send(CtHarness h, bool fromClient, ref uint c, ref uint s, string text, ushort zone = 0)
    {
        string r = fromClient
            ? h.Ct(Tcp(Client, Server, Cp, 21, F.Ack | F.Psh, c, s, text), zone)
            : h.Ct(Tcp(Server, Client, 21, Cp, F.Ack | F.Psh, s, c, text), zone);
        if (fromClient) c += (uint)text.Length; else s += (uint)text.Length;
        return r;
    }

    [Fact]
    public void Active_ftp_port_expects_the_server_data_connection()
    {
        var h = new CtHarness();
        var (c, s) = Control(h, mark: 0x42);
        Assert.Equal("est,trk", Send(h, true, ref c, ref s, "PORT 10,0,0,1,156,64\r\n"));
        Assert.Equal("tcp,orig=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=40000),parent=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=21)",
            Assert.Single(h.Engine.DumpExpectations()));
        // Server connects from port 20 to 156*256+64 = 40000... use the advertised port.
        var syn = Tcp(Server, Client, 20, 40000, F.Syn, 7000, 0);
        Assert.Equal("new,rel,trk", h.Ct(syn));
        Assert.Equal(0x42u, h.LastKey.CtMark);
        Assert.Equal((UInt128)0x42, h.LastKey.CtLabel);
        // The master's original tuple is reported for a related connection.
        Assert.Equal((ushort)21, h.LastKey.CtTpDst);
        Assert.Equal("new,rel,trk", h.Ct(syn, commit: true));
        Assert.Empty(h.Engine.DumpExpectations());
        Assert.Equal("est,rel,rpl,trk", h.Ct(Tcp(Client, Server, 40000, 20, F.Syn | F.Ack, 9000, 7001)));
        Assert.Equal("est,rel,trk", h.Ct(Tcp(Server, Client, 20, 40000, F.Ack, 7001, 9001)));
        Assert.Equal(0x42u, h.LastKey.CtMark);
        Assert.Equal((UInt128)0x42, h.LastKey.CtLabel);
        Assert.Contains("tcp,orig=(src=10.0.0.2,dst=10.0.0.1,sport=20,dport=40000),reply=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=20),mark=66,labels=0x42,protoinfo=(state=ESTABLISHED)",
            h.Engine.DumpConntrack());
    }

    [Fact]
    public void Data_connection_before_reply_is_related_not_new_after_commit()
    {
        var h = new CtHarness();
        var (c, s) = Control(h);
        Send(h, true, ref c, ref s, "PORT 10,0,0,1,156,65\r\n");
        Assert.Equal("new,rel,trk", h.Ct(Tcp(Server, Client, 20, 40001, F.Syn, 7000, 0), commit: true));
        Assert.Equal("rel,trk", h.Ct(Tcp(Server, Client, 20, 40001, F.Syn, 7000, 0)));
    }

    [Fact]
    public void Passive_ftp_227_expects_the_client_data_connection()
    {
        var h = new CtHarness();
        var (c, s) = Control(h);
        Send(h, true, ref c, ref s, "PASV\r\n");
        Assert.Equal("est,rpl,trk", Send(h, false, ref c, ref s, "227 Entering Passive Mode (10,0,0,2,200,10).\r\n"));
        Assert.Equal("new,rel,trk", h.Ct(Tcp(Client, Server, 50123, 51210, F.Syn, 1, 0), commit: true));
        Assert.Equal("est,rel,rpl,trk", h.Ct(Tcp(Server, Client, 51210, 50123, F.Syn | F.Ack, 9, 2)));
    }

    [Fact]
    public void Extended_commands_work_over_ipv6()
    {
        const string c6 = "2001:db8::1", s6 = "2001:db8::2";
        var h = new CtHarness();
        h.Ct(Tcp6(c6, s6, Cp, 21, F.Syn, 1000, 0), new CtRequest(0, Commit: true, Alg: CtAlg.Ftp));
        h.Ct(Tcp6(s6, c6, 21, Cp, F.Syn | F.Ack, 5000, 1001));
        h.Ct(Tcp6(c6, s6, Cp, 21, F.Ack, 1001, 5001));
        const string eprt = "EPRT |2|2001:db8::1|6275|\r\n";
        Assert.Equal("est,trk", h.Ct(Tcp6(c6, s6, Cp, 21, F.Ack | F.Psh, 1001, 5001, eprt)));
        Assert.Equal("new,rel,trk", h.Ct(Tcp6(s6, c6, 20, 6275, F.Syn, 1, 0), commit: true));
        const string epsv = "229 Entering Extended Passive Mode (|||6446|)\r\n";
        Assert.Equal("est,rpl,trk", h.Ct(Tcp6(s6, c6, 21, Cp, F.Ack | F.Psh, 5001, 1001 + (uint)eprt.Length, epsv)));
        Assert.Equal("new,rel,trk", h.Ct(Tcp6(c6, s6, 50000, 6446, F.Syn, 1, 0), commit: true));
        // An EPRT naming IPv4 on an IPv6 control connection does not parse: dropped like the kernel does.
        Assert.Equal("DROP:ftp_malformed_command",
            h.Ct(Tcp6(c6, s6, Cp, 21, F.Ack | F.Psh, 1001 + (uint)eprt.Length, 5001 + (uint)epsv.Length, "EPRT |1|10.0.0.1|6275|\r\n")));
    }

    [Fact]
    public void Eprt_and_epsv_over_ipv4()
    {
        var h = new CtHarness();
        var (c, s) = Control(h);
        Send(h, true, ref c, ref s, "EPRT |1|10.0.0.1|6000|\r\n");
        Assert.Equal("new,rel,trk", h.Ct(Tcp(Server, Client, 20, 6000, F.Syn, 1, 0), commit: true));
        Send(h, false, ref c, ref s, "229 Entering Extended Passive Mode (|||6001|)\r\n");
        Assert.Equal("new,rel,trk", h.Ct(Tcp(Client, Server, 50001, 6001, F.Syn, 1, 0), commit: true));
    }

    [Fact]
    public void Port_split_over_two_segments_is_reassembled()
    {
        var h = new CtHarness();
        var (c, s) = Control(h);
        Assert.Equal("est,trk", Send(h, true, ref c, ref s, "PORT 10,0,"));
        Assert.Empty(h.Engine.DumpExpectations());
        Assert.Equal("est,trk", Send(h, true, ref c, ref s, "0,1,39,16\r\n"));
        Assert.Equal("new,rel,trk", h.Ct(Tcp(Server, Client, 20, 10000, F.Syn, 1, 0)));
    }

    [Fact]
    public void Port_naming_another_host_is_rejected()
    {
        var h = new CtHarness();
        var (c, s) = Control(h);
        Assert.Equal("est,trk", Send(h, true, ref c, ref s, "PORT 10,0,0,3,39,16\r\n"));
        Assert.Empty(h.Engine.DumpExpectations());
        Assert.Equal(1, h.Engine.Counters.FtpAddressMismatch);
        Assert.Equal("new,trk", h.Ct(Tcp(Server, C, 20, 10000, F.Syn, 1, 0)));
        Assert.Equal("new,trk", h.Ct(Tcp(Server, Client, 20, 10000, F.Syn, 1, 0)));
    }

    [Fact]
    public void Newer_expectation_replaces_the_older_and_expectations_expire_and_die_with_the_master()
    {
        var h = new CtHarness();
        var (c, s) = Control(h);
        Send(h, true, ref c, ref s, "PORT 10,0,0,1,39,16\r\n");
        Send(h, true, ref c, ref s, "PORT 10,0,0,1,39,17\r\n");
        Assert.Contains("dport=10001", Assert.Single(h.Engine.DumpExpectations()));
        // The server acknowledges, so the control connection keeps its long ESTABLISHED timer (not UNACK 300 s).
        h.Ct(Tcp(Server, Client, 21, Cp, F.Ack, s, c));
        h.Advance(301);
        h.Engine.ExpireNow();
        Assert.Empty(h.Engine.DumpExpectations());
        Send(h, true, ref c, ref s, "PORT 10,0,0,1,39,18\r\n");
        Assert.Single(h.Engine.DumpExpectations());
        h.Engine.Flush();
        Assert.Empty(h.Engine.DumpExpectations());
        Assert.Equal(0, h.Engine.Counters.Expectations);
    }

    [Fact]
    public void Without_the_helper_no_expectation_is_made()
    {
        var h = new CtHarness();
        h.Handshake(Client, Server, Cp, 21);
        h.Ct(Tcp(Client, Server, Cp, 21, F.Ack | F.Psh, 1001, 5001, "PORT 10,0,0,1,39,16\r\n"));
        Assert.Empty(h.Engine.DumpExpectations());
    }

    [Fact]
    public void Tftp_read_request_expects_the_reply_from_any_server_port()
    {
        var h = new CtHarness();
        byte[] rrq = { 0, 1, (byte)'f', 0, (byte)'o', (byte)'c', (byte)'t', (byte)'e', (byte)'t', 0 };
        Assert.Equal("new,trk", h.Ct(Udp(Client, Server, 3333, 69, rrq), new CtRequest(0, Commit: true, Alg: CtAlg.Tftp)));
        Assert.Equal("udp,orig=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=3333),parent=(src=10.0.0.1,dst=10.0.0.2,sport=3333,dport=69)",
            Assert.Single(h.Engine.DumpExpectations()));
        byte[] data = { 0, 3, 0, 1, (byte)'x' };
        Assert.Equal("new,rel,trk", h.Ct(Udp(Server, Client, 4444, 3333, data), commit: true));
        Assert.Equal("est,rel,rpl,trk", h.Ct(Udp(Client, Server, 3333, 4444, new byte[] { 0, 4, 0, 1 })));
        // Another zone does not see the expectation.
        var h2 = new CtHarness();
        h2.Ct(Udp(Client, Server, 3333, 69, rrq), new CtRequest(1, Commit: true, Alg: CtAlg.Tftp));
        Assert.Equal("new,trk", h2.Ct(Udp(Server, Client, 4444, 3333, data), zone: 2));
    }

    [Fact]
    public void Global_expectation_limit_drops_the_control_packet()
    {
        var h = new CtHarness(new ConntrackSettings { MaxExpectations = 1 });
        byte[] rrq = { 0, 1, (byte)'a', 0, (byte)'o', 0 };
        h.Ct(Udp(Client, Server, 3333, 69, rrq), new CtRequest(0, Commit: true, Alg: CtAlg.Tftp));
        Assert.Equal("DROP:ct_expect_table_full", h.Ct(Udp(Client, Server, 3334, 69, rrq), new CtRequest(0, Commit: true, Alg: CtAlg.Tftp)));
    }
}
