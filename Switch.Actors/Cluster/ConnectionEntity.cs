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
/// one. A new TCP/UDP connection consults its expectation key once (FTP/TFTP data connections become +rel on
/// any node); a master copies the expectations its helper creates to their entities before it answers, so the
/// data connection cannot overtake them. The entity stops as soon as it holds nothing: an uncommitted packet
/// leaves no actor behind.
/// </summary>
public sealed class ConnectionEntity : UntypedActor, IWithTimers, IWithUnboundedStash
{
    private sealed class ExpiryTick { public static readonly ExpiryTick Instance = new(); }
    private sealed record Consulted(CtQuery Query, IActorRef ReplyTo, ExpectData? Found);
    private sealed record Answered(CtReply Reply, IActorRef ReplyTo);

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);
    private readonly ConntrackEngine _engine;
    private readonly Dictionary<ExpectKey, ExpectData> _published = new();
    private ExpectKey? _imported;
    private string _entityId = "";
    private bool _consulted, _stopping;

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    public ConnectionEntity(IClock clock, ConntrackSettings settings) => _engine = new ConntrackEngine(clock, settings);

    public static Props Props(IClock clock, ConntrackSettings settings) =>
        Akka.Actor.Props.Create(() => new ConnectionEntity(clock, settings));

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("expiry", ExpiryTick.Instance, TimeSpan.FromSeconds(1));

    private IActorRef Region => ClusterSharding.Get(Context.System).ShardRegion(ConntrackRegion.Name);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case CtQuery q:
                if (_entityId.Length == 0) _entityId = q.EntityId;
                if (!_consulted && _engine.Count == 0 && ExpectKeyOf(q) is ExpectKey ek)
                {
                    _consulted = true;
                    var replyTo = Sender;
                    Region.Ask<ExpectFound>(new ExpectLookup(ExpectWire.EntityId(ek)), AskTimeout)
                        .PipeTo(Self, success: f => new Consulted(q, replyTo, f.Data), failure: _ => new Consulted(q, replyTo, null));
                    BecomeWaiting();
                    return;
                }
                Answer(q, Sender);
                break;
            case DumpEntity d:
                Sender.Tell(new DumpEntityReply(_engine.DumpConntrack(d.Zone).ToArray()));
                break;
            case FlushEntity f:
                // The tuple text was checked by the control plane before it fanned out.
                Sender.Tell(new FlushEntityReply(_engine.Flush(f.Zone, string.IsNullOrWhiteSpace(f.Tuple) ? null : CtTupleText.Parse(f.Tuple))));
                Withdraw();
                StopIfEmpty();
                break;
            case ExpectUsed u:
                _engine.RemoveExpectation(ExpectWire.Key(u.Data));
                _published.Remove(ExpectWire.Key(u.Data));
                break;
            case ExpiryTick:
                _engine.ExpireNow();
                Withdraw();
                StopIfEmpty();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void BecomeWaiting() => Context.BecomeStacked(msg =>
    {
        switch (msg)
        {
            case Consulted c:
                if (c.Found is not null) { ExpectWire.Import(_engine, c.Found); _imported = ExpectWire.Key(c.Found); }
                Context.UnbecomeStacked();
                Stash.UnstashAll();
                Answer(c.Query, c.ReplyTo);
                break;
            case Answered a:
                a.ReplyTo.Tell(a.Reply);
                Context.UnbecomeStacked();
                Stash.UnstashAll();
                StopIfEmpty();
                break;
            default:
                Stash.Stash();
                break;
        }
    });

    private void Answer(CtQuery q, IActorRef replyTo)
    {
        CtReply reply;
        if (!CtWire.TryOpen(q, out var packet, out var key))
            reply = new CtReply(q.Id, CtWireVerdict.Drop, "malformed", Array.Empty<ulong>(), null, 0);
        else
        {
            var outcome = _engine.Execute(ref packet, ref key, CtWire.FromWire(q.Request));
            reply = new CtReply(q.Id, (byte)outcome.Verdict, outcome.DropReason, CtWire.Words(key), null, 0);
        }
        if (_imported is ExpectKey ik && !_engine.HasExpectation(ik))
        {
            // The expected connection committed (or the copy lapsed): the expectation is used up cluster-wide.
            if (_engine.Count > 0) Region.Tell(new ExpectRemove(ExpectWire.EntityId(ik), Used: true));
            _imported = null;
        }
        var fresh = Publish();
        Withdraw();
        if (fresh.Count == 0) { replyTo.Tell(reply); StopIfEmpty(); return; }
        Task.WhenAll(fresh.Select(r => Region.Ask<ExpectRegistered>(r, AskTimeout)))
            .ContinueWith(_ => new Answered(reply, replyTo)).PipeTo(Self);
        BecomeWaiting();
    }

    /// <summary>Registrations for expectations this master created since the last packet.</summary>
    private List<ExpectRegister> Publish()
    {
        var fresh = new List<ExpectRegister>();
        foreach (var e in _engine.OwnExpectations())
        {
            if (_published.ContainsKey(e.Key)) continue;
            var data = ExpectWire.From(e, _entityId);
            _published[e.Key] = data;
            fresh.Add(new ExpectRegister(ExpectWire.EntityId(e.Key), data));
        }
        return fresh;
    }

    /// <summary>Withdraws copies of expectations the master no longer has (expired, replaced, died with it).</summary>
    private void Withdraw()
    {
        if (_published.Count == 0) return;
        var live = _engine.OwnExpectations().Select(e => e.Key).ToHashSet();
        foreach (var k in _published.Keys.Where(k => !live.Contains(k)).ToList())
        {
            _published.Remove(k);
            Region.Tell(new ExpectRemove(ExpectWire.EntityId(k), Used: false));
        }
    }

    /// <summary>The expectation key a new TCP/UDP packet would match: zone, protocol, addresses, destination port.</summary>
    private static ExpectKey? ExpectKeyOf(CtQuery q)
    {
        if (!CtWire.TryOpen(q, out _, out var k) || k.NwFrag != 0 || k.NwProto is not (IpProtos.Tcp or IpProtos.Udp)) return null;
        UInt128 src = k.IsIpv6 ? k.Ipv6Src : k.NwSrc, dst = k.IsIpv6 ? k.Ipv6Dst : k.NwDst;
        return new ExpectKey(q.Request.Zone, k.NwProto, k.IsIpv6, src, dst, k.TpDst);
    }

    private void StopIfEmpty()
    {
        if (_stopping || _engine.Count > 0 || _engine.Counters.Expectations > 0) return;
        _stopping = true;
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }
}
