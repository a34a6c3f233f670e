using Switch.Actors.Cluster;
using Xunit;

namespace Switch.Tests.Cluster;

/// <summary>The entity's side of the lease protocol (docs/fast-path.md), driven without actors: every transition, the
/// ones the protocol never makes (they throw), and the stale messages it ignores.</summary>
[Trait("Category", Tiers.Unit)]
public class LeaseAuthorityTests
{
    private const string X = "datapath-x", Y = "datapath-y";

    private static LeaseAuthority<string> Lent(long epoch = 7)
    {
        var a = new LeaseAuthority<string>();
        a.Lend(X, epoch);
        return a;
    }

    [Fact]
    public void A_fresh_connection_is_unlent_holds_nothing_and_journals_no_epoch()
    {
        var a = new LeaseAuthority<string>();
        Assert.Equal(AuthorityState.Unlent, a.State);
        Assert.False(a.Holds);
        Assert.False(a.MustRevokeFor(X));
        Assert.Equal(0, a.JournaledEpoch);
        Assert.True(a.CanReattach);
    }

    [Fact]
    public void Lending_names_the_holder_and_epoch_and_only_another_node_forces_a_revoke()
    {
        var a = Lent(7);
        Assert.Equal(AuthorityState.Lent, a.State);
        Assert.Equal(X, a.Holder);
        Assert.Equal(7, a.JournaledEpoch);
        Assert.True(a.Holds);
        Assert.False(a.MustRevokeFor(X)); // the holder's own queries (sent before the grant) are answered
        Assert.True(a.MustRevokeFor(Y));
        Assert.False(a.CanReattach);
        Assert.Throws<InvalidOperationException>(() => a.Lend(Y, 8)); // one holder at a time
        Assert.Throws<InvalidOperationException>(() => new LeaseAuthority<string>().Lend(X, 0));
    }

    [Fact]
    public void A_revoke_for_another_node_ends_central_and_the_connection_is_never_lent_again()
    {
        var a = Lent(7);
        Assert.True(a.BeginRevoke(central: true));  // send LeaseRevoke now
        Assert.Equal(AuthorityState.Revoking, a.State);
        Assert.True(a.Holds);
        Assert.True(a.IsCentral);
        Assert.False(a.BeginRevoke(central: false)); // one revoke out at a time; central stays
        Assert.False(a.Returned(6));                 // a return of an ended lease: stale, ignored
        Assert.Equal(AuthorityState.Revoking, a.State);
        Assert.True(a.Returned(7));
        Assert.Equal(AuthorityState.Central, a.State);
        Assert.Null(a.Holder);
        Assert.False(a.Holds);
        Assert.Equal(0, a.JournaledEpoch);
        Assert.False(a.Returned(7));                 // a duplicate (the timeout after the return) is stale
        Assert.Throws<InvalidOperationException>(() => a.Lend(X, 9));
        Assert.Throws<InvalidOperationException>(() => a.BeginRevoke(central: false));
    }

    [Fact]
    public void A_revoke_by_flush_or_timer_ends_unlent_so_the_next_query_may_be_lent_again()
    {
        var a = Lent(7);
        Assert.True(a.BeginRevoke(central: false));
        Assert.False(a.IsCentral);
        Assert.True(a.Returned(7));
        Assert.Equal(AuthorityState.Unlent, a.State);
        a.Lend(X, 8);
        Assert.Equal(8, a.Epoch);
        Assert.False(a.Accepts(7)); // reports of the first lease are stale now
        Assert.True(a.Accepts(8));
    }

    [Fact]
    public void Another_nodes_packet_during_a_timer_revoke_makes_it_central()
    {
        var a = Lent(7);
        Assert.True(a.BeginRevoke(central: false));
        Assert.False(a.BeginRevoke(central: true));
        Assert.True(a.Returned(7));
        Assert.Equal(AuthorityState.Central, a.State);
    }

    [Fact]
    public void Reports_count_only_from_the_current_lease_and_a_gone_report_ends_it()
    {
        var a = new LeaseAuthority<string>();
        Assert.False(a.Accepts(7)); // nothing lent: a report is from a lease already over
        a.Lend(X, 7);
        Assert.True(a.Accepts(7));
        Assert.False(a.Accepts(8));
        Assert.Throws<InvalidOperationException>(() => a.HolderGone(8));
        a.HolderGone(7);
        Assert.Equal(AuthorityState.Unlent, a.State);
        Assert.False(a.Holds);
        Assert.False(a.Accepts(7));
        Assert.False(a.CanReattach); // this incarnation lent: a late report cannot bring a lease back
    }

    [Fact]
    public void A_gone_report_while_revoking_keeps_waiting_for_the_return()
    {
        var a = Lent(7);
        a.BeginRevoke(central: true);
        Assert.True(a.Accepts(7)); // reports still ahead of the return are applied
        a.HolderGone(7);
        Assert.Equal(AuthorityState.Revoking, a.State);
        Assert.Null(a.Holder);
        Assert.Equal(0, a.JournaledEpoch);
        Assert.True(a.Holds);
        Assert.False(a.Accepts(7));
        Assert.True(a.Returned(7));
        Assert.Equal(AuthorityState.Central, a.State);
    }

    [Fact]
    public void A_restarted_entity_without_a_journal_is_reattached_by_the_holders_report_once()
    {
        var a = new LeaseAuthority<string>();
        Assert.True(a.CanReattach);
        a.Reattach(X, 7);
        Assert.Equal(AuthorityState.Lent, a.State);
        Assert.True(a.Accepts(7));
        Assert.False(a.CanReattach);
        Assert.Throws<InvalidOperationException>(() => a.Reattach(Y, 8));
    }

    [Theory]
    [InlineData(true, false, AuthorityState.Lent)]
    [InlineData(false, true, AuthorityState.Central)]
    [InlineData(false, false, AuthorityState.Unlent)]
    [InlineData(true, true, AuthorityState.Lent)] // lent when it parked mid-revoke: the next return makes it central
    public void Restoring_from_the_parked_copy_or_the_journal_takes_its_state(bool holder, bool central, AuthorityState expected)
    {
        var a = new LeaseAuthority<string>();
        a.Restore(holder ? X : null, 7, central);
        Assert.Equal(expected, a.State);
        Assert.Equal(central, a.IsCentral);
        Assert.Equal(holder, a.EverLent);
        if (holder)
        {
            Assert.Equal(7, a.JournaledEpoch);
            Assert.True(a.BeginRevoke(central: false));
            Assert.True(a.Returned(7));
            Assert.Equal(central ? AuthorityState.Central : AuthorityState.Unlent, a.State);
        }
        Assert.Throws<InvalidOperationException>(() => a.Restore(null, 0, false)); // only once, at the start
    }

    [Fact]
    public void Transitions_the_protocol_never_makes_throw()
    {
        var a = new LeaseAuthority<string>();
        Assert.Throws<InvalidOperationException>(() => a.BeginRevoke(central: true)); // nothing lent
        Assert.Throws<InvalidOperationException>(() => a.HolderGone(1));
        Assert.False(a.Returned(1)); // a return nobody asked for is stale, not a transition
        Assert.Throws<InvalidOperationException>(() => a.Restore(X, 0, false)); // a lease has an epoch
    }
}
