using Akka.Actor;
using Akka.Cluster.Sharding;
using Switch.Actors.Conntrack;
using Switch.Actors.Packets;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The entity that owns one connection (zone + canonical 5-tuple): a thin shell around the same
/// <see cref="ConntrackEngine"/> the single node runs, holding only this connection. Both directions and the
/// ICMP errors quoting it arrive here, wherever they entered the cluster, so asymmetric paths are tracked as
/// one. It stops (passivates) as soon as it holds nothing: an uncommitted packet leaves no actor behind.
/// </summary>
public sealed class ConnectionEntity : UntypedActor, IWithTimers
{
    private sealed class ExpiryTick { public static readonly ExpiryTick Instance = new(); }

    private readonly ConntrackEngine _engine;
    private bool _stopping;

    public ITimerScheduler Timers { get; set; } = null!;

    public ConnectionEntity(IClock clock, ConntrackSettings settings) => _engine = new ConntrackEngine(clock, settings);

    public static Props Props(IClock clock, ConntrackSettings settings) =>
        Akka.Actor.Props.Create(() => new ConnectionEntity(clock, settings));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("expiry", ExpiryTick.Instance, TimeSpan.FromSeconds(1));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CtQuery q:
                Sender.Tell(Track(q));
                StopIfEmpty();
                break;
            case DumpEntity d:
                Sender.Tell(new DumpEntityReply(_engine.DumpConntrack(d.Zone).ToArray()));
                break;
            case FlushEntity f:
                Sender.Tell(new FlushEntityReply(_engine.Flush(f.Zone)));
                StopIfEmpty();
                break;
            case ExpiryTick:
                _engine.ExpireNow();
                StopIfEmpty();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private CtReply Track(CtQuery q)
    {
        if (!CtWire.TryOpen(q, out var packet, out var key))
            return new CtReply(q.Id, CtWireVerdict.Drop, "malformed", Array.Empty<ulong>(), null, 0);
        var outcome = _engine.Execute(ref packet, ref key, CtWire.FromWire(q.Request));
        return new CtReply(q.Id, (byte)outcome.Verdict, outcome.DropReason, CtWire.Words(key), null, 0);
    }

    private void StopIfEmpty()
    {
        if (_stopping || _engine.Counters.Entries > 0 || _engine.Counters.Expectations > 0) return;
        _stopping = true;
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
