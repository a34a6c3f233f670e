using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;
using Switch.Actors.Cluster;

namespace Switch.Node.Cluster;

/// <summary>
/// Downs a member whose process is gone, without waiting for the failure detector and the split-brain resolver's
/// stable-after: when remoting loses its connection to a member (or the member turns unreachable), this member
/// dials the member's remoting port with a plain TCP connect. A refused connection, twice 200 ms apart, proves that
/// nothing listens there any more: the process died (SIGKILL, a crash, an OOM kill) and its host's kernel answered
/// for it. A paused or cut-off process cannot cause that (its socket still listens; a partition drops packets, it
/// does not refuse them), so the proof is safe where a shorter failure detector is not.
/// <list type="bullet">
/// <item>Only a side with a majority of the Up members downs (or exactly half with the lowest address, as
/// keep-majority decides), counting refused members as gone: the minority of a partition with rejecting firewalls
/// downs nobody.</item>
/// <item>A member whose whole host vanished does not refuse (nothing answers): it goes the failure detector's way.</item>
/// <item>A probe of a live member opens and closes a TCP connection; that member logs a refused TLS handshake.</item>
/// </list>
/// </summary>
public sealed class CrashDetector : UntypedActor, IWithTimers
{
    public const string Name = "crash-detector";
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromMilliseconds(500), Again = TimeSpan.FromMilliseconds(200);

    private sealed record Probed(UniqueAddress Member, bool Refused, int Attempt);
    private sealed record ProbeAgain(UniqueAddress Member);
    private sealed class Tick { public static readonly Tick Instance = new(); }

    private readonly Dictionary<Address, Member> _members = new();
    private readonly HashSet<Address> _unreachable = new(), _gone = new(), _probing = new();
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Akka.Cluster.Cluster _cluster = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props() => Akka.Actor.Props.Create(() => new CrashDetector());

    protected override void PreStart()
    {
        _cluster = Akka.Cluster.Cluster.Get(Context.System);
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Context.System.EventStream.Subscribe(Self, typeof(DisassociatedEvent));
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
    }

    protected override void PostStop()
    {
        _cluster.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClusterEvent.CurrentClusterState s:
                foreach (var m in s.Members) _members[m.Address] = m;
                _unreachable.UnionWith(s.Unreachable.Select(m => m.Address));
                break;
            case ClusterEvent.MemberRemoved r:
                _members.Remove(r.Member.Address);
                _unreachable.Remove(r.Member.Address);
                _gone.Remove(r.Member.Address);
                break;
            case ClusterEvent.IMemberEvent e:
                _members[e.Member.Address] = e.Member;
                break;
            case ClusterEvent.UnreachableMember u:
                _unreachable.Add(u.Member.Address);
                Probe(u.Member.Address, 1);
                break;
            case ClusterEvent.ReachableMember r:
                _unreachable.Remove(r.Member.Address);
                _gone.Remove(r.Member.Address);
                break;
            case DisassociatedEvent d:
                Probe(d.RemoteAddress, 1);
                break;
            case Tick:
                foreach (var a in _unreachable.ToList()) Probe(a, 1);
                break;
            case ProbeAgain p:
                Probe(p.Member.Address, 2);
                break;
            case Probed p:
                _probing.Remove(p.Member.Address);
                OnProbed(p);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private static bool Counts(MemberStatus s) => s is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving;

    private void Probe(Address address, int attempt)
    {
        if (address.Equals(_cluster.SelfAddress) || !_members.TryGetValue(address, out var m) || !Counts(m.Status)) return;
        if (address.Host is not { } host || address.Port is not { } port || !_probing.Add(address)) return;
        var self = Self;
        var member = m.UniqueAddress;
        Task.Run(async () =>
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(ProbeTimeout);
            try
            {
                await socket.ConnectAsync(host, port, cts.Token);
                return false;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { return true; }
            catch (Exception) { return false; } // no answer (a timeout, no route): not a proof
        }).ContinueWith(t => self.Tell(new Probed(member, t.IsCompletedSuccessfully && t.Result, attempt)), TaskScheduler.Default);
    }

    private void OnProbed(Probed p)
    {
        if (!p.Refused || !_members.TryGetValue(p.Member.Address, out var m) || !m.UniqueAddress.Equals(p.Member) || !Counts(m.Status)) return;
        if (p.Attempt == 1)
        {
            Timers.StartSingleTimer("again-" + p.Member.Address, new ProbeAgain(p.Member), Again);
            return;
        }
        _gone.Add(p.Member.Address);
        if (!Majority())
        {
            _log.Warning("member {0} refuses connections (its process is gone), but this side holds no majority: not downing it", p.Member.Address);
            return;
        }
        _log.Warning("member {0} refuses connections on its remoting port: its process is gone; downing it now", p.Member.Address);
        _cluster.Down(p.Member.Address);
    }

    /// <summary>The members this one still reaches (itself included, refused ones gone) hold the side keep-majority
    /// keeps (<see cref="KeepMajority"/>).</summary>
    private bool Majority()
    {
        var up = _members.Values.Where(m => Counts(m.Status)).Select(m => m.Address).ToHashSet();
        up.Add(_cluster.SelfAddress);
        return KeepMajority.Holds(up, a => a.Equals(_cluster.SelfAddress) || (!_unreachable.Contains(a) && !_gone.Contains(a)));
    }
}
