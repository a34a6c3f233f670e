using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Switch.Actors.Datapath;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The cluster's one writer of flow tables (a cluster singleton), so changes apply in the order given. Each
/// change is checked in full first (a bad line changes nothing), written to Akka.DistributedData (majority) as
/// the whole canonical flow set with its version, then pushed to every member's datapath; the command answers
/// only when every Up member has acknowledged that version: that is how "returns once visible cluster-wide"
/// is guaranteed. Members that join later, and a manager that restarts elsewhere, read the set from DData.
/// </summary>
public sealed class FlowManager : ReceiveActor, IWithUnboundedStash
{
    public static readonly LWWRegisterKey<FlowSet> Key = new("dswitch-flows");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly FlowTables _tables = new();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private long _version;

    public IStash Stash { get; set; } = null!;

    private readonly bool _durable;
    private IActorRef? _journal;

    /// <summary><paramref name="durable"/>: a journal is configured, so flow sets are journaled too.</summary>
    public static Props Props(bool durable = false) => Akka.Actor.Props.Create(() => new FlowManager(durable));

    private sealed record Loaded(FlowSet? Set);
    private sealed record Done(IActorRef ReplyTo, FlowCommandResult Result);

    public FlowManager(bool durable)
    {
        _durable = durable;
        Receive<Loaded>(l =>
        {
            if (l.Set is not null) { FlowSets.Apply(_tables, l.Set, Now()); _version = l.Set.Version; }
            Become(Ready);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    protected override void PreStart()
    {
        var self = Self;
        _journal = _durable ? Context.ActorOf(FlowJournal.Props(), "journal") : null;
        var journal = _journal;
        LoadAsync(journal).PipeTo(self);
    }

    /// <summary>The newest of what the members hold (DistributedData) and what the journal kept.</summary>
    private async Task<Loaded> LoadAsync(IActorRef? journal)
    {
        FlowSet? fromData = null, fromJournal = null;
        try
        {
            var r = await _replicator.Ask<IGetResponse>(Dsl.Get(Key, new ReadMajority(Timeout)), Timeout + TimeSpan.FromSeconds(1));
            if (r is GetSuccess s) fromData = s.Get(Key).Value;
        }
        catch (AskTimeoutException) { }
        if (journal is not null) fromJournal = (await journal.Ask<FlowSetLoaded>(new FlowJournal.Load(), TimeSpan.FromSeconds(30))).Set;
        if (fromJournal is null || (fromData is not null && fromData.Version >= fromJournal.Version)) return new Loaded(fromData);
        // A cluster restarted whole: give the members back the journaled flows (datapaths follow DistributedData).
        var set = fromJournal;
        await _replicator.Ask<IUpdateResponse>(Dsl.Update(Key, new LWWRegister<FlowSet>(_cluster.SelfUniqueAddress, set), WriteLocal.Instance,
            r => r.WithValue(_cluster.SelfUniqueAddress, set)), Timeout);
        return new Loaded(set);
    }

    private void Ready()
    {
        Receive<FlowCommand>(cmd =>
        {
            var (n, err) = FlowSets.Execute(_tables, cmd, Now());
            if (err is not null) { Sender.Tell(new FlowCommandResult(0, _version, err)); return; }
            _version++;
            var set = new FlowSet(_version, FlowSets.Lines(_tables));
            var datapaths = _cluster.State.Members.Where(m => m.Status == MemberStatus.Up)
                .Select(m => Context.ActorSelection(new RootActorPath(m.Address) / "user" / "datapath")).ToList();
            Publish(set, datapaths, _journal, Sender, n).PipeTo(Self);
            Become(Busy);
        });
    }

    private void Busy()
    {
        Receive<Done>(d =>
        {
            d.ReplyTo.Tell(d.Result);
            Become(Ready);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private async Task<Done> Publish(FlowSet set, List<ActorSelection> datapaths, IActorRef? journal, IActorRef replyTo, int affected)
    {
        if (journal is not null) await journal.Ask<FlowJournal.Saved>(new FlowJournal.Save(set), Timeout * 6);
        var update = Dsl.Update(Key, new LWWRegister<FlowSet>(_cluster.SelfUniqueAddress, set), new WriteMajority(Timeout),
            r => r.WithValue(_cluster.SelfUniqueAddress, set));
        var written = await _replicator.Ask<IUpdateResponse>(update, Timeout + TimeSpan.FromSeconds(1));
        if (written is not UpdateSuccess)
            return new Done(replyTo, new FlowCommandResult(affected, set.Version, $"flow change {set.Version} not replicated to a majority: {written}"));
        var acks = datapaths.Select(d => d.Ask<FlowSetApplied>(new ApplyFlowSet(set), Timeout));
        try { await Task.WhenAll(acks); }
        catch (Exception e)
        {
            return new Done(replyTo, new FlowCommandResult(affected, set.Version, $"flow change {set.Version} not acknowledged by every member: {e.Message}"));
        }
        return new Done(replyTo, new FlowCommandResult(affected, set.Version, null));
    }

    private static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
