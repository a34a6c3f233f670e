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

    /// <summary>Decides the packet at once when this node can (a connection lent to it). <see cref="LocalVerdict.MustAsk"/>
    /// sends it to <see cref="Submit"/>; <see cref="LocalVerdict.DecidedPendingDurability"/> hands it to
    /// <see cref="AwaitDurability"/>, which resumes it once the change it made is durable.</summary>
    LocalDecision TryDecide(ref Packet packet, ref FlowKey key, in CtRequest request) => default;

    /// <summary>A packet decided here whose decision changed durable state: it resumes (with the decision's outcome)
    /// once that change is durable.</summary>
    void AwaitDurability(CtCall call, in LocalDecision decision) =>
        throw new InvalidOperationException("this conntrack never defers a local decision");
}

/// <summary>What <see cref="IRemoteConntrack.TryDecide"/> did.</summary>
public enum LocalVerdict : byte
{
    /// <summary>Not decided here: the packet goes to its entity.</summary>
    MustAsk,
    /// <summary>Decided here: the packet goes on now with <see cref="LocalDecision.Outcome"/>.</summary>
    Decided,
    /// <summary>Decided here, but the decision changed durable state: the packet waits until that is durable.</summary>
    DecidedPendingDurability,
}

/// <summary>A local decision: the verdict, the outcome when decided, and (pending durability) what must become durable
/// first, which only the conntrack that decided reads.</summary>
public readonly record struct LocalDecision(LocalVerdict Verdict, CtOutcome Outcome = default, object? Durability = null);

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
