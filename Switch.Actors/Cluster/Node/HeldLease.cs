using Akka.Actor;
using Switch.Contracts.Cluster;
using Switch.Core.Conntrack;

namespace Switch.Actors.Cluster;

/// <summary>Where a lease stands at its holder (docs/fast-path.md, "Who holds what").</summary>
public enum HeldLeaseState : byte
{
    /// <summary>Granted, but queries this node sent before the grant are still out: its packets are parked, and the
    /// image from the newest answer is what it will start from.</summary>
    Activating,
    /// <summary>The node's local engine holds the connection and decides its packets.</summary>
    Active,
    /// <summary>Revoked, dropped, given back or given up: nothing of it may be used.</summary>
    Ended,
}

/// <summary>
/// A connection lent to this node, with explicit states: <see cref="HeldLeaseState.Activating"/> →
/// <see cref="HeldLeaseState.Active"/> → <see cref="HeldLeaseState.Ended"/> (or Activating → Ended). A transition the
/// protocol never makes throws. <see cref="ClusterConntrack"/> keeps the leases and decides when to move them.
/// </summary>
public sealed class HeldLease
{
    public HeldLease(string entityId, long epoch, Address grantor, ConnImage image)
    {
        EntityId = entityId;
        Epoch = epoch;
        Grantor = grantor;
        Image = image;
    }

    public string EntityId { get; }
    public long Epoch { get; }
    /// <summary>The node the entity lives on: when it goes, the lease goes.</summary>
    public Address Grantor { get; }
    public HeldLeaseState State { get; private set; }
    /// <summary>The state to start from while activating (then the local engine holds it, and this is null).</summary>
    public ConnImage? Image { get; private set; }
    /// <summary>The local engine's entry while active.</summary>
    public Connection? Conn { get; private set; }
    /// <summary>Packets of the connection that arrived while activating, in arrival order.</summary>
    public Queue<CtCall>? Parked;

    /// <summary>What the entity last heard (its class and deadline matter), from when (<see cref="ReportedAtUs"/>).</summary>
    public ConnImage? Reported { get; private set; }
    public long ReportedAtUs { get; private set; }

    /// <summary>An answer to one of this node's older queries carried the lease again: its image is newer.</summary>
    public void Refresh(ConnImage image)
    {
        if (State == HeldLeaseState.Ended) throw Invalid("refresh");
        if (State == HeldLeaseState.Activating) Image = image;
    }

    /// <summary>None of this node's queries to the entity is out any more: the local engine's entry
    /// <paramref name="conn"/> (adopted from <see cref="Image"/>) is decided here from now on.</summary>
    public void Activate(Connection conn, long nowUs)
    {
        if (State != HeldLeaseState.Activating) throw Invalid("activate");
        State = HeldLeaseState.Active;
        Conn = conn;
        conn.Tag = this;
        Snap(Image!, nowUs);
        Image = null;
    }

    /// <summary>A packet reopened the connection under the same key (a new entry): the lease follows it.</summary>
    public void Replace(Connection next)
    {
        if (State != HeldLeaseState.Active) throw Invalid("follow a reopened connection");
        Conn = next;
        next.Tag = this;
    }

    public void End()
    {
        if (State == HeldLeaseState.Ended) throw Invalid("end");
        State = HeldLeaseState.Ended;
    }

    /// <summary>Records what the entity now knows (after a report, or the image activation started from).</summary>
    public void Snap(ConnImage image, long nowUs)
    {
        Reported = image;
        ReportedAtUs = nowUs;
    }

    private InvalidOperationException Invalid(string what) => new($"lease {EntityId}: cannot {what} when {State}");
}
