using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// Conntrack that answers later (the cluster's sharded entities). The datapath parks the packet, hands over a
/// <see cref="CtCall"/>, and continues the packet when <c>Datapath.Resume</c> is called with the answer. The
/// call carries copies: the service may keep them until it answers.
/// </summary>
public interface IRemoteConntrack
{
    void Submit(CtCall call);

    /// <summary>Decides the packet at once when this node can (a connection lent to it); false sends it to
    /// <see cref="Submit"/>.</summary>
    bool TryDecide(ref Packet packet, ref FlowKey key, in CtRequest request, out CtOutcome outcome)
    {
        outcome = default;
        return false;
    }
}

/// <summary>One ct action waiting for its answer. <see cref="Continuation"/> belongs to the datapath.</summary>
public sealed class CtCall
{
    public Packet Packet;
    public FlowKey Key;
    public CtRequest Request;
    internal object Continuation;

    internal CtCall(Packet packet, in FlowKey key, in CtRequest request, object continuation)
    {
        Packet = packet; Key = key; Request = request; Continuation = continuation;
    }
}
