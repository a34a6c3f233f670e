using Akka.Actor;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// One per node: the conntrack entities living here hand it their answers, and it sends the answers for one
/// datapath together (<see cref="CtReplyBatch"/>) once its mailbox has drained, or when 64 are waiting. At light
/// load a lone answer leaves at the batcher's next turn (no timer), so batching costs latency only under load,
/// where it saves a remote message per answer.
/// </summary>
public sealed class ReplyBatcher : UntypedActor
{
    public const int MaxBatch = 64;

    /// <summary>An answer for <see cref="To"/> (a node's datapath, or an asker).</summary>
    public readonly record struct Out(IActorRef To, CtReply Reply);

    private sealed class Flush { public static readonly Flush Instance = new(); }

    private readonly Dictionary<IActorRef, List<CtReply>> _waiting = new();
    private readonly Dictionary<IActorRef, long> _bytes = new();
    private bool _flushScheduled;

    public static Props Props() => Akka.Actor.Props.Create(() => new ReplyBatcher());

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Out o:
                if (!_waiting.TryGetValue(o.To, out var list)) _waiting[o.To] = list = new List<CtReply>();
                list.Add(o.Reply);
                // Reassembled datagrams travel back in their replies: a batch is cut by bytes too (remoting's frame).
                long bytes = _bytes.GetValueOrDefault(o.To) + (o.Reply.Frame?.Length ?? 0);
                _bytes[o.To] = bytes;
                if (list.Count >= MaxBatch || bytes >= ClusterLimits.PartBytes) Send(o.To, list);
                else if (!_flushScheduled) { _flushScheduled = true; Self.Tell(Flush.Instance); }
                break;
            case Flush:
                _flushScheduled = false;
                foreach (var (to, l) in _waiting)
                    if (l.Count > 0) Send(to, l);
                // Askers come and go: forget destinations with nothing waiting.
                if (_waiting.Count > 256)
                    foreach (var k in _waiting.Where(kv => kv.Value.Count == 0).Select(kv => kv.Key).ToList()) { _waiting.Remove(k); _bytes.Remove(k); }
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Send(IActorRef to, List<CtReply> list)
    {
        if (list.Count == 1) to.Tell(list[0], Self);
        else to.Tell(new CtReplyBatch(list.ToArray()), Self);
        list.Clear();
        _bytes[to] = 0;
    }
}

/// <summary>The node's <see cref="ReplyBatcher"/>, created on first use.</summary>
public sealed class ConntrackReplies : IExtension
{
    public IActorRef Batcher { get; }

    public ConntrackReplies(ExtendedActorSystem system) => Batcher = system.SystemActorOf(ReplyBatcher.Props(), "ct-replies");

    public static IActorRef Get(ActorSystem system) => system.WithExtension<ConntrackReplies, ConntrackRepliesProvider>().Batcher;
}

public sealed class ConntrackRepliesProvider : ExtensionIdProvider<ConntrackReplies>
{
    public override ConntrackReplies CreateExtension(ExtendedActorSystem system) => new(system);
}
