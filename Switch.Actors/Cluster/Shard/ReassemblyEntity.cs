using Akka.Actor;
using Akka.Cluster.Sharding;
using Switch.Core.Conntrack;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The entity of one datagram being reassembled (zone + source + destination + protocol + IP id). Fragments
/// reach it from whichever node they entered; the fragment that completes the datagram gets the whole packet
/// back, and that node (the one holding the last piece, whose reply is still owed) continues it through
/// conntrack and the pipeline. The others are answered "stolen", as the kernel steals held fragments.
/// </summary>
public sealed class ReassemblyEntity : UntypedActor, IWithTimers
{
    private sealed class ExpiryTick { public static readonly ExpiryTick Instance = new(); }

    private readonly IClock _clock;
    private readonly Reassembler _reassembler;
    private bool _stopping;

    public ITimerScheduler Timers { get; set; } = null!;

    public ReassemblyEntity(IClock clock, ConntrackSettings settings)
    {
        _clock = clock;
        _reassembler = new Reassembler(settings, new ConntrackCounters());
    }

    public static Props Props(IClock clock, ConntrackSettings settings) =>
        Akka.Actor.Props.Create(() => new ReassemblyEntity(clock, settings));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("expiry", ExpiryTick.Instance, TimeSpan.FromSeconds(1));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CtQuery q:
                Sender.Tell(Add(q));
                StopIfEmpty();
                break;
            case DumpEntity:
                Sender.Tell(new DumpEntityReply(Array.Empty<string>()));
                break;
            case FlushEntity:
                Sender.Tell(new FlushEntityReply(0));
                break;
            case ExpiryTick:
                _reassembler.Expire(_clock.NowUs);
                StopIfEmpty();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private CtReply Add(CtQuery q)
    {
        if (!CtWire.TryOpen(q, out var packet, out var key))
            return new CtReply(q.Id, CtWireVerdict.Drop, "malformed", Array.Empty<ulong>(), null, 0);
        var r = _reassembler.Add(packet, in key, q.Request.Zone, _clock.NowUs, out var whole, out var reason);
        return r switch
        {
            FragResult.Held => new CtReply(q.Id, CtWireVerdict.Stolen, null, Array.Empty<ulong>(), null, 0),
            FragResult.Dropped => new CtReply(q.Id, CtWireVerdict.Drop, reason, Array.Empty<ulong>(), null, 0),
            _ => new CtReply(q.Id, CtWireVerdict.Reassembled, null, Array.Empty<ulong>(), whole!.Span.ToArray(), whole.Mru),
        };
    }

    private void StopIfEmpty()
    {
        if (_stopping || _reassembler.QueueCount > 0) return;
        _stopping = true;
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
