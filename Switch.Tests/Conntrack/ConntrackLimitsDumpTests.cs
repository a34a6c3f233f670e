using Xunit;
using Switch.Core.Conntrack;
using F = Switch.Core.Packets.FrameBuilder;
using static Switch.Tests.Conntrack.CtHarness;

namespace Switch.Tests.Conntrack;

[Trait("Category", Tiers.Unit)]
public class ConntrackLimitsDumpTests
{
    [Fact]
    public void Full_table_early_drops_the_oldest_unassured_connection()
    {
        var h = new CtHarness(new ConntrackSettings { MaxConnections = 3 });
        h.Handshake(A, B, 1, 80);                                    // assured
        h.Ct(Udp(A, B, 2, 53), commit: true);                        // unassured, oldest
        h.Ct(Udp(A, B, 3, 53), commit: true);
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 4, 53), commit: true));
        Assert.Equal(1, h.Engine.Counters.Evictions);
        var lines = h.Engine.DumpConntrack();
        Assert.Equal(3, lines.Count);
        Assert.DoesNotContain(lines, l => l.Contains("sport=2,"));
        Assert.Contains(lines, l => l.Contains("sport=1,"));
    }

    [Fact]
    public void Full_table_without_unassured_entries_drops_the_packet()
    {
        var h = new CtHarness(new ConntrackSettings { MaxConnections = 2 });
        h.Handshake(A, B, 1, 80);
        h.Handshake(A, B, 2, 80);
        Assert.Equal("DROP:ct_table_full", h.Ct(Tcp(A, B, 3, 80, F.Syn, 1, 0), commit: true));
        Assert.Equal(1, h.Engine.Counters.Refused);
        Assert.Equal(1, h.Engine.Counters.DropCount(CtDropReasons.TableFull));
        // Without commit nothing needs room.
        Assert.Equal("new,trk", h.Ct(Tcp(A, B, 3, 80, F.Syn, 1, 0)));
    }

    [Fact]
    public void Zone_limit_refuses_commits_beyond_it_without_eviction()
    {
        var h = new CtHarness(new ConntrackSettings { ZoneLimits = new Dictionary<ushort, uint> { [5] = 1 } });
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 1, 53), zone: 5, commit: true));
        Assert.Equal("DROP:ct_zone_limit", h.Ct(Udp(A, B, 2, 53), zone: 5, commit: true));
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 2, 53), zone: 6, commit: true));
        h.Engine.SetZoneLimit(5, 2);
        Assert.Equal("new,trk", h.Ct(Udp(A, B, 2, 53), zone: 5, commit: true));
        h.Engine.SetDefaultZoneLimit(1);
        Assert.Equal("DROP:ct_zone_limit", h.Ct(Udp(A, B, 3, 53), zone: 6, commit: true));
        Assert.Equal(new[] { "default limit=1", "zone=5,limit=2,count=2" }, h.Engine.GetLimits());
        Assert.Equal(0, h.Engine.Counters.Evictions);
    }

    [Fact]
    public void Expiry_only_touches_what_is_due_and_refresh_postpones_it()
    {
        var h = new CtHarness();
        for (ushort i = 1; i <= 100; i++) h.Ct(Udp(A, B, i, 53), commit: true);
        h.Advance(15);
        for (ushort i = 1; i <= 50; i++) h.Ct(Udp(A, B, i, 53));
        h.Advance(16);
        Assert.Equal(50, h.Engine.ExpireNow());
        Assert.Equal(50, h.Engine.Count);
        h.Advance(15);
        Assert.Equal(50, h.Engine.ExpireNow());
        Assert.Equal(0, h.Engine.Counters.Entries);
        Assert.Equal(100, h.Engine.Counters.Expired);
    }

    [Fact]
    public void Lookup_of_an_expired_entry_treats_it_as_gone()
    {
        var h = new CtHarness();
        h.Ct(Udp(A, B, 5000, 53), commit: true);
        h.Advance(31);
        Assert.Equal("new,trk", h.Ct(Udp(B, A, 53, 5000)));
        Assert.Empty(h.Engine.Connections);
    }

    [Fact]
    public void Dump_prints_ovs_dpctl_lines_sorted_and_filtered_by_zone()
    {
        var h = new CtHarness();
        h.Handshake(A, B, 40000, 80, zone: 5, commitReq: new CtRequest(5, Commit: true, SetMark: true, Mark: 1, MarkMask: 0xffffffff));
        h.Ct(Tcp(A, B, 40001, 80, F.Syn, 1, 0), zone: 5, commit: true);
        h.Ct(Udp(A, B, 5000, 53), commit: true);
        Assert.Equal(new[]
        {
            "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40000),zone=5,mark=1,protoinfo=(state=ESTABLISHED)",
            "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40001,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=40001),zone=5,protoinfo=(state=SYN_SENT)",
            "udp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=5000,dport=53),reply=(src=10.0.0.2,dst=10.0.0.1,sport=53,dport=5000)",
        }, h.Engine.DumpConntrack());
        Assert.Equal(2, h.Engine.DumpConntrack(5).Count);
        Assert.Single(h.Engine.DumpConntrack(0));
    }

    [Fact]
    public void Flush_by_zone_and_by_tuple()
    {
        var h = new CtHarness();
        h.Ct(Udp(A, B, 1, 53), zone: 1, commit: true);
        h.Ct(Udp(A, B, 2, 53), zone: 1, commit: true);
        h.Ct(Udp(A, B, 1, 53), zone: 2, commit: true);
        h.Ct(Udp(A, C, 1, 53), zone: 2, commit: true);
        Assert.Equal(2, h.Engine.Flush(1));
        Assert.Empty(h.Engine.DumpConntrack(1));
        Assert.Equal(1, h.Engine.Flush(2, CtFlushFilter.V4(dst: C)));
        Assert.Equal(1, h.Engine.Flush());
        Assert.Equal(0, h.Engine.Counters.Entries);
        Assert.Equal("new,trk", h.Ct(Udp(B, A, 53, 1), zone: 1));
    }
}
