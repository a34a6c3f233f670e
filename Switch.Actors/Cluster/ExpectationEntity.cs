using Akka.Actor;
using Akka.Cluster.Sharding;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The entity of one expectation key. Holds the expectation its master registered until it expires, is
/// withdrawn, or is used by a committed connection (then the master's entity is told, so its own count and
/// per-master limit stay right). Stops when it holds nothing.
/// </summary>
public sealed class ExpectationEntity : UntypedActor, IWithTimers
{
    private sealed class Tick { public static readonly Tick Instance = new(); }

    private readonly IClock _clock;
    private ExpectData? _data;
    private bool _stopping;

    public ITimerScheduler Timers { get; set; } = null!;

    public ExpectationEntity(IClock clock) => _clock = clock;

    public static Props Props(IClock clock) => Akka.Actor.Props.Create(() => new ExpectationEntity(clock));

    protected override void PreStart() => Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ExpectRegister r:
                _data = r.Data;
                _stopping = false;
                Sender.Tell(new ExpectRegistered(r.EntityId));
                break;
            case ExpectLookup l:
                Sender.Tell(new ExpectFound(l.EntityId, Live() ? _data : null));
                StopIfEmpty();
                break;
            case ExpectRemove rm:
                if (rm.Used && _data is not null)
                    ClusterRegion().Tell(new ExpectUsed(_data.MasterEntity, _data));
                _data = null;
                StopIfEmpty();
                break;
            case DumpEntity:
                Sender.Tell(new DumpEntityReply(Array.Empty<string>()));
                break;
            case FlushEntity:
                _data = null;
                Sender.Tell(new FlushEntityReply(0));
                StopIfEmpty();
                break;
            case Tick:
                if (!Live()) _data = null;
                StopIfEmpty();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private bool Live() => _data is not null && _data.ExpiresUs > _clock.NowUs;

    private IActorRef ClusterRegion() => ClusterSharding.Get(Context.System).ShardRegion(ConntrackRegion.Name);

    private void StopIfEmpty()
    {
        if (_data is not null || _stopping) return;
        _stopping = true;
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
