using Akka.Actor;
using Akka.Persistence;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The flow manager's memory across a restart of the whole cluster (DistributedData lives in the members'
/// memory only): with a journal configured, every flow set is journaled here and the newest comes back at start.
/// </summary>
public sealed class FlowJournal : UntypedPersistentActor
{
    public sealed record Load;
    public sealed record Save(FlowSet Set);
    public sealed record Saved(long Version);

    private FlowSet? _last;

    public override string PersistenceId => "dswitch-flows";

    public static Props Props() => Akka.Actor.Props.Create(() => new FlowJournal());

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: FlowSetSaved s }: _last = s.Set; break;
            case FlowSetSaved s: _last = s.Set; break;
        }
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case Load:
                Sender.Tell(new FlowSetLoaded(_last));
                break;
            case Save s:
            {
                var replyTo = Sender;
                Persist(new FlowSetSaved(s.Set), e =>
                {
                    _last = e.Set;
                    // Each event holds the whole set: older ones are never needed again.
                    if (LastSequenceNr > 1) DeleteMessages(LastSequenceNr - 1);
                    replyTo.Tell(new Saved(e.Set.Version));
                });
                break;
            }
            case DeleteMessagesSuccess or DeleteMessagesFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }
}
