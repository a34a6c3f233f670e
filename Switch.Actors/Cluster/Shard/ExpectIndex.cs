using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;
using Switch.Core.Conntrack;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// This node's copy of the expectation keys outstanding anywhere in the cluster. A master that creates an
/// expectation adds its key on every Up member and waits for their acknowledgements before its answer leaves (as it
/// waits for the expectation entity), so a data connection entering any node finds the key. A new TCP/UDP
/// connection then asks the expectation entity only when its key is here: normal connections make no lookup.
/// Until a joining node has copied a member's index it answers "maybe" for every key (the lookup happens, as before).
/// </summary>
public sealed class ExpectIndex : IExtension
{
    public const string ActorName = "expect-index";
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(3);

    private readonly ActorSystem _system;
    internal readonly ConcurrentDictionary<string, long> Entries = new();
    internal volatile bool Synced;
    public IActorRef Actor { get; }

    public ExpectIndex(ExtendedActorSystem system, IClock clock)
    {
        _system = system;
        Actor = system.ActorOf(Props.Create(() => new ExpectIndexActor(this, clock)), ActorName);
    }

    /// <summary>Creates this node's index (at node start, before it joins, so members can reach it).</summary>
    public static ExpectIndex Get(ActorSystem system) => system.WithExtension<ExpectIndex, ExpectIndexProvider>();

    /// <summary>False only when no expectation with this key is outstanding anywhere.</summary>
    public bool MayExist(in ExpectKey key, long nowUs) =>
        !Synced || (Entries.TryGetValue(ExpectWire.EntityId(key), out long exp) && exp > nowUs);

    public int Count => Entries.Count;

    /// <summary>This node has copied a member's index (before that every key "may exist").</summary>
    public bool IsSynced => Synced;

    /// <summary>The other Up members' indexes (this node's own is <see cref="Actor"/>, which alone writes
    /// <see cref="Entries"/>; everyone else only reads them).</summary>
    private IEnumerable<ICanTell> Others()
    {
        var cluster = Akka.Cluster.Cluster.Get(_system);
        return cluster.State.Members
            .Where(m => (m.Status == MemberStatus.Up || m.Status == MemberStatus.WeaklyUp) && !m.Address.Equals(cluster.SelfAddress))
            .Select(m => _system.ActorSelection(new RootActorPath(m.Address) / "user" / ActorName));
    }

    /// <summary>Adds the key here and on every other Up member; completes when all acknowledged (or after the timeout:
    /// a member that does not answer is being lost, and its replacement copies a survivor's index when it joins).</summary>
    public Task PublishAsync(string id, long expiresUs)
    {
        var add = new IndexAdd(id, expiresUs);
        var asks = Others().Append(Actor).Select(s => s.Ask<IndexAdded>(add, AckTimeout)).ToList();
        return Task.WhenAll(asks).ContinueWith(_ => { }, TaskContinuationOptions.ExecuteSynchronously);
    }

    public void Remove(string id)
    {
        var remove = new IndexRemove(id);
        Actor.Tell(remove, ActorRefs.NoSender);
        foreach (var s in Others()) s.Tell(remove, ActorRefs.NoSender);
    }
}

/// <summary>Creates a node's index with the clock the node gave (<see cref="UseClock"/>, before the first Get).</summary>
public sealed class ExpectIndexProvider : ExtensionIdProvider<ExpectIndex>
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ActorSystem, IClock> Clocks = new();

    public static void UseClock(ActorSystem system, IClock clock) => Clocks.AddOrUpdate(system, clock);

    public override ExpectIndex CreateExtension(ExtendedActorSystem system) =>
        new(system, Clocks.TryGetValue(system, out var c) ? c : SystemClock.Instance);
}

/// <summary>Applies adds and removes from masters, answers snapshots, copies one when this node joins, drops expired keys.</summary>
internal sealed class ExpectIndexActor : UntypedActor, IWithTimers
{
    private sealed class Sweep { public static readonly Sweep Instance = new(); }
    private sealed class Resync { public static readonly Resync Instance = new(); }
    private sealed class ResyncFailed { public static readonly ResyncFailed Instance = new(); }

    private readonly ExpectIndex _index;
    private readonly IClock _clock;
    private int _snapshots;

    public ITimerScheduler Timers { get; set; } = null!;

    public ExpectIndexActor(ExpectIndex index, IClock clock) { _index = index; _clock = clock; }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, TimeSpan.FromSeconds(10));
        var self = Self;
        Akka.Cluster.Cluster.Get(Context.System).RegisterOnMemberUp(() => self.Tell(Resync.Instance));
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case IndexAdd a:
                _index.Entries[a.Id] = a.ExpiresUs;
                Sender.Tell(new IndexAdded(a.Id));
                break;
            case IndexRemove r:
                _index.Entries.TryRemove(r.Id, out _);
                break;
            case IndexSnapshotRequest:
            {
                var all = _index.Entries.ToArray();
                Sender.Tell(new IndexSnapshot(all.Select(kv => kv.Key).ToArray(), all.Select(kv => kv.Value).ToArray()));
                break;
            }
            case IndexSnapshot s:
                for (int i = 0; i < s.Ids.Length; i++) _index.Entries.TryAdd(s.Ids[i], s.ExpiresUs[i]);
                // Twice, the second after gossip has spread this node's Up to every master.
                if (++_snapshots >= 2) _index.Synced = true;
                else Timers.StartSingleTimer("resync", Resync.Instance, TimeSpan.FromSeconds(3));
                break;
            case Resync:
            {
                var cluster = Akka.Cluster.Cluster.Get(Context.System);
                var other = cluster.State.Members.Where(m => m.Status == MemberStatus.Up && !m.Address.Equals(cluster.SelfAddress))
                    .OrderBy(m => m, Member.AgeOrdering).FirstOrDefault();
                if (other is null) { _index.Synced = true; break; }
                Context.ActorSelection(new RootActorPath(other.Address) / "user" / ExpectIndex.ActorName)
                    .Ask<IndexSnapshot>(new IndexSnapshotRequest(), TimeSpan.FromSeconds(3))
                    .PipeTo(Self, failure: _ => ResyncFailed.Instance);
                break;
            }
            case ResyncFailed:
                Timers.StartSingleTimer("resync", Resync.Instance, TimeSpan.FromSeconds(1));
                break;
            case Sweep:
            {
                long now = _clock.NowUs;
                foreach (var kv in _index.Entries)
                    if (kv.Value <= now) _index.Entries.TryRemove(kv.Key, out _);
                break;
            }
            default:
                Unhandled(message);
                break;
        }
    }
}
