using Akka.Actor;
using Akka.Persistence;
using Switch.Core.Datapath;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The flow manager's memory across a restart of the whole cluster (the members hold the tables in memory only): with
/// a journal configured, every flow change is journaled here as the change itself (<see cref="FlowDeltaSaved"/>: a
/// single flow-mod writes one line, whatever the table holds), with the whole table (<see cref="FlowSetSaved"/>) every
/// <see cref="SnapshotEvery"/> changes, after which older events are deleted. At start the table is rebuilt from the
/// last whole table and the changes after it.
/// </summary>
public sealed class FlowJournal : UntypedPersistentActor
{
    public const int SnapshotEvery = 256;
    public sealed record Load;
    public sealed record Save(long Version, byte Kind, bool Strict, string[] Lines);
    public sealed record Saved(long Version);

    private readonly FlowTables _tables = new();
    private long _version;
    private int _sinceSnapshot;

    public override string PersistenceId => "dswitch-flows";

    public static Props Props() => Akka.Actor.Props.Create(() => new FlowJournal());

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case SnapshotOffer { Snapshot: FlowSetSaved s }: Reset(s.Set); break;
            case FlowSetSaved s: Reset(s.Set); break;
            case FlowDeltaSaved d:
                ApplyDelta(d);
                _sinceSnapshot++;
                break;
        }
    }

    /// <summary>The journal keeps its own copy of the table (it writes the whole table every so many changes).</summary>
    private void ApplyDelta(FlowDeltaSaved d)
    {
        var (flows, _) = FlowSets.Parse(d.Kind, d.Lines);
        if (flows is not null) FlowSets.Apply(_tables, d.Kind, d.Strict, flows, 0);
        _version = d.Version;
    }

    private void Reset(FlowSet set)
    {
        foreach (var t in _tables.All.ToList())
            foreach (var f in t.Flows.ToList()) t.Remove(f);
        foreach (var line in set.Lines) _tables.Add(FlowParser.Parse(line), 0);
        _version = set.Version;
        _sinceSnapshot = 0;
    }

    protected override void OnCommand(object message)
    {
        switch (message)
        {
            case Load:
                Sender.Tell(new FlowSetLoaded(_version == 0 ? null : new FlowSet(_version, FlowSets.Lines(_tables))));
                break;
            case Save s:
            {
                var replyTo = Sender;
                Persist(new FlowDeltaSaved(s.Version, s.Kind, s.Strict, s.Lines), e =>
                {
                    ApplyDelta(e);
                    if (++_sinceSnapshot < SnapshotEvery) { replyTo.Tell(new Saved(e.Version)); return; }
                    // Every so many changes the whole table, and the events before it are not needed again.
                    Persist(new FlowSetSaved(new FlowSet(e.Version, FlowSets.Lines(_tables))), w =>
                    {
                        _sinceSnapshot = 0;
                        DeleteMessages(LastSequenceNr - 1);
                        replyTo.Tell(new Saved(w.Set.Version));
                    });
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
