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

    public static Props Props() => Akka.Actor.Props.Create(() => new FlowManager());

    private sealed record Loaded(FlowSet? Set);
    private sealed record Done(IActorRef ReplyTo, FlowCommandResult Result);

    public FlowManager()
    {
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
        _replicator.Ask<IGetResponse>(Dsl.Get(Key, new ReadMajority(Timeout)), Timeout + TimeSpan.FromSeconds(1))
            .ContinueWith(t => new Loaded(t.IsCompletedSuccessfully && t.Result is GetSuccess s ? s.Get(Key).Value : null))
            .PipeTo(self);
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
            Publish(set, datapaths, Sender, n).PipeTo(Self);
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

    private async Task<Done> Publish(FlowSet set, List<ActorSelection> datapaths, IActorRef replyTo, int affected)
    {
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
