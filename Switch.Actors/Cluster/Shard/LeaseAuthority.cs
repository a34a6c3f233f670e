namespace Switch.Actors.Cluster;

/// <summary>Where a connection's lease stands, seen from its entity (docs/fast-path.md).</summary>
public enum AuthorityState : byte
{
    /// <summary>Decided here; the next lendable query may be lent the connection.</summary>
    Unlent,
    /// <summary>A node's datapath holds it and decides its packets.</summary>
    Lent,
    /// <summary>A <c>LeaseRevoke</c> is out: every query waits for the holder's return (or the revoke timeout).</summary>
    Revoking,
    /// <summary>The connection proved asymmetric (a packet entered another node): decided here for good, never lent.</summary>
    Central,
}

/// <summary>
/// The entity's side of the lease protocol as a state machine: who holds the connection, under which epoch, and what
/// a query, a report, a return or a timeout does to that. No actor in it: <see cref="ConnectionEntity"/> drives it
/// and does the messaging, and tests drive it directly. A transition that the protocol never makes throws
/// (<see cref="InvalidOperationException"/>); a message from an ended lease is not an error but stale, and
/// the methods that take an epoch say so by returning false.
/// </summary>
public sealed class LeaseAuthority<THolder> where THolder : class
{
    // Sticky: once a packet entered another node the connection is never lent again (decided here from then on).
    private bool _central;
    // Restore runs once, before anything else happened to the lease.
    private bool _used;

    public AuthorityState State { get; private set; }

    /// <summary>The datapath the connection is lent to; while revoking, null once the holder reported it gone.</summary>
    public THolder? Holder { get; private set; }

    /// <summary>The lease's epoch (a random number per lease): what reports and returns must carry.</summary>
    public long Epoch { get; private set; }

    /// <summary>Whether this incarnation of the entity ever lent (or was given back) a lease.</summary>
    public bool EverLent { get; private set; }

    /// <summary>The connection proved asymmetric: central now, or once the lease still out is back.</summary>
    public bool IsCentral => _central;

    public bool Revoking => State == AuthorityState.Revoking;

    /// <summary>Something of the lease is outstanding: lent, or a revocation not yet answered.</summary>
    public bool Holds => State is AuthorityState.Lent or AuthorityState.Revoking;

    /// <summary>The epoch to journal with the connection (0: no node may be deciding it).</summary>
    public long JournaledEpoch => Holder is null ? 0 : Epoch;

    /// <summary>The state a restarted entity comes back with: from its parked copy or from the journal.</summary>
    public void Restore(THolder? holder, long epoch, bool central)
    {
        if (_used) throw Invalid("restore");
        _used = true;
        if (holder is not null && epoch == 0) throw new InvalidOperationException("a lease has a non-zero epoch");
        _central = central;
        if (holder is not null)
        {
            Holder = holder;
            Epoch = epoch;
            EverLent = true;
            State = AuthorityState.Lent;
        }
        else if (central) State = AuthorityState.Central;
    }

    /// <summary>Lends the connection to <paramref name="holder"/> (the entity checked that it is lendable).</summary>
    public void Lend(THolder holder, long epoch)
    {
        if (State != AuthorityState.Unlent || _central) throw Invalid("lend");
        _used = true;
        if (epoch == 0) throw new InvalidOperationException("a lease has a non-zero epoch");
        Holder = holder;
        Epoch = epoch;
        EverLent = true;
        State = AuthorityState.Lent;
    }

    /// <summary>Without a journal, an entity that restarted while its connection was lent knows nothing of the lease:
    /// the holder's report (with the connection's state) re-attaches it. Only an incarnation that never lent can.</summary>
    public bool CanReattach => State == AuthorityState.Unlent && !EverLent;

    public void Reattach(THolder holder, long epoch)
    {
        if (!CanReattach) throw Invalid("re-attach");
        Lend(holder, epoch);
    }

    /// <summary>A query from <paramref name="sender"/>: true when the connection must be taken back first (it is lent
    /// to another node). The entity then revokes with <c>central: true</c> and holds the query.</summary>
    public bool MustRevokeFor(THolder sender) => State == AuthorityState.Lent && !Holder!.Equals(sender);

    /// <summary>Starts taking the connection back (another node's packet, a flush, the entity's own timer). Returns true
    /// when a <c>LeaseRevoke</c> must be sent now, false when one is already out. <paramref name="central"/>: the
    /// connection proved asymmetric and stays here after the return.</summary>
    public bool BeginRevoke(bool central)
    {
        if (State is not (AuthorityState.Lent or AuthorityState.Revoking)) throw Invalid("revoke");
        _central |= central;
        if (State == AuthorityState.Revoking) return false;
        State = AuthorityState.Revoking;
        return true;
    }

    /// <summary>Whether a report with <paramref name="epoch"/> is from the current lease (else it is from one that
    /// ended, whose state came back with its return and rules).</summary>
    public bool Accepts(long epoch) => Holder is not null && Holds && epoch == Epoch;

    /// <summary>The holder reported the connection gone (expired or closed there): no node decides it any more. While
    /// revoking, the revocation still waits for its return.</summary>
    public void HolderGone(long epoch)
    {
        if (!Accepts(epoch)) throw Invalid("end by the holder's report");
        Holder = null;
        if (State == AuthorityState.Lent) State = _central ? AuthorityState.Central : AuthorityState.Unlent;
    }

    /// <summary>The holder's return (or the revoke timeout) for <paramref name="epoch"/>: true when it ends the
    /// revocation (the entity then adopts the returned state and runs what it held), false when it is stale.</summary>
    public bool Returned(long epoch)
    {
        if (State != AuthorityState.Revoking || epoch != Epoch) return false;
        Holder = null;
        State = _central ? AuthorityState.Central : AuthorityState.Unlent;
        return true;
    }

    private InvalidOperationException Invalid(string what) => new($"lease: cannot {what} in state {State}");
}
