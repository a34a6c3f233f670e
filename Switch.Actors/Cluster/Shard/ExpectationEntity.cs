using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Persistence;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The entity of one expectation key. Holds the expectation its master registered until it expires, is
/// withdrawn, or is used by a committed connection (then the master's entity is told, so its own count and
/// per-master limit stay right). Stops when it holds nothing.
/// In a replicated cluster it starts from its shard's replicated record (<see cref="LoadShard"/> for its key; after a
/// failover the new owner's copy) and replicates every change before it acknowledges it.
/// </summary>
public sealed class ExpectationEntity : UntypedPersistentActor, IWithTimers
{
    private sealed class Tick { public static readonly Tick Instance = new(); }

    private readonly IClock _clock;
    private readonly bool _durable;
    private ExpectData? _data;
    private bool _stopping;
    private readonly bool _replicated;
    private bool _loading;
    private string _shard = "";
    private long _token;
    private readonly Dictionary<long, Action> _replicating = new();

    public ITimerScheduler Timers { get; set; } = null!;

    public ExpectationEntity(IClock clock, bool durable)
    {
        _clock = clock;
        _durable = durable;
        _replicated = !durable && Replication.Get(Context.System).On;
    }

    public static Props Props(IClock clock, bool durable) => Akka.Actor.Props.Create(() => new ExpectationEntity(clock, durable));

    public override string PersistenceId => "expect-" + Uri.UnescapeDataString(Self.Path.Name);

    protected override void PreStart()
    {
        base.PreStart();
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
        if (_replicated)
        {
            _shard = Uri.UnescapeDataString(Context.Parent.Path.Name);
            _loading = true;
            Replication.Get(Context.System).Store!.Tell(new LoadShard(_shard, Id));
        }
    }

    private string Id => Uri.UnescapeDataString(Self.Path.Name);

    protected override void OnRecover(object message)
    {
        switch (message)
        {
            case ExpectSaved s: _data = s.Data; break;
            case ExpectCleared: _data = null; break;
            case RecoveryCompleted when Live():
                // Back after a failover: every node's index learns the key again.
                _ = ExpectIndex.Get(Context.System).PublishAsync(Uri.UnescapeDataString(Self.Path.Name), _data!.ExpiresUs);
                break;
        }
    }

    /// <summary>Journals the change when durable, then runs <paramref name="then"/>; a cleared entity deletes its events.</summary>
    private void Save(ExpectData? data, Action then)
    {
        if (_replicated)
        {
            if (data is null && _data is null) { then(); return; }
            long token = ++_token;
            _replicating[token] = () => { bool had = _data is not null; _data = data; if (had && data is null) Unindex(); then(); };
            Replication.Get(Context.System).Store!.Tell(new Replicate(_shard, new[] { new ReplicaItem(_shard, Id, Expect: data) }, token), Self);
            return;
        }
        if (!_durable) { bool had = _data is not null; _data = data; if (had && data is null) Unindex(); then(); return; }
        if (data is null)
        {
            if (_data is null) { then(); return; }
            Persist(new ExpectCleared(), _ => { _data = null; DeleteMessages(LastSequenceNr); Unindex(); then(); });
            return;
        }
        Persist(new ExpectSaved(data), _ => { _data = data; then(); });
    }

    protected override void OnCommand(object message)
    {
        if (_loading)
        {
            if (message is not ShardLoaded loaded) { Stash.Stash(); return; }
            _loading = false;
            if (loaded.Items.FirstOrDefault(i => i.Key == Id)?.Expect is { } data)
            {
                // Taken over from a replica: every node's index learns the key again.
                _data = data;
                if (Live()) _ = ExpectIndex.Get(Context.System).PublishAsync(Id, data.ExpiresUs);
            }
            Stash.UnstashAll();
            return;
        }
        if (_replicating.Count > 0 && message is not Replicated) { Stash.Stash(); return; }
        switch (message)
        {
            case Replicated done:
                if (_replicating.Remove(done.Token, out var then)) then();
                if (_replicating.Count == 0) Stash.UnstashAll();
                break;
            case WakeEntity:
                if (!Live()) Save(null, StopIfEmpty);
                break;
            case ExpectRegister r:
            {
                _stopping = false;
                var replyTo = Sender;
                Save(r.Data, () => replyTo.Tell(new ExpectRegistered(r.EntityId)));
                break;
            }
            case ExpectLookup l:
                Sender.Tell(new ExpectFound(l.EntityId, Live() ? _data : null));
                StopIfEmpty();
                break;
            case ExpectRemove rm:
                if (rm.Used && _data is not null)
                    ClusterRegion().Tell(new ExpectUsed(_data.MasterEntity, _data));
                Save(null, StopIfEmpty);
                break;
            case DumpEntity:
                Sender.Tell(new DumpEntityReply(Array.Empty<string>()));
                break;
            case FlushEntity:
            {
                var replyTo = Sender;
                Save(null, () => { replyTo.Tell(new FlushEntityReply(0)); StopIfEmpty(); });
                break;
            }
            case Tick:
                if (!Live()) Save(null, StopIfEmpty);
                else StopIfEmpty();
                break;
            case DeleteMessagesSuccess or DeleteMessagesFailure:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Unindex() => ExpectIndex.Get(Context.System).Remove(Uri.UnescapeDataString(Self.Path.Name));

    private bool Live() => _data is not null && _data.ExpiresUs > _clock.NowUs;

    private IActorRef ClusterRegion() => ClusterSharding.Get(Context.System).ShardRegion(ConntrackRegion.Name);

    private void StopIfEmpty()
    {
        if (_data is not null || _stopping || _loading || _replicating.Count > 0) return;
        _stopping = true;
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
