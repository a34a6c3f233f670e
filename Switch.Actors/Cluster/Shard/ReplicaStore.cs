using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// Each member's replica store (<c>/user/ct-replicas</c>): a copy of every record (<see cref="ReplicaItem"/>) of the
/// shards this member owns and of the shards it replicates for their owners, and the outbox that keeps the replicas
/// of its own shards hot.
/// <list type="bullet">
/// <item>A relay or entity of a shard owned here sends <see cref="Replicate"/>: the records are applied here and queued
/// for the shard's replica members (<see cref="ReplicaPlacement.Targets"/>); one <see cref="ReplicaBatch"/> per
/// member carries what queued since the last flush, for every shard. The sender gets <see cref="Replicated"/> once
/// every replica acknowledged, and only then answers the packet the change came from.</item>
/// <item>A replica member that becomes unreachable or leaves stops counting: its waiters are released (the change is
/// then on fewer members until the shard is copied to the next-ranked member, which happens at once).</item>
/// <item>When the usable members change, each owned shard's targets are recomputed; a new target gets the whole
/// shard (<see cref="ReplicaBatch.Reset"/> … <see cref="ReplicaBatch.Whole"/>), a member that is no longer one gets
/// <see cref="ReplicaDrop"/>.</item>
/// <item>A shard that starts here (its relay or an expectation entity sends <see cref="LoadShard"/>) is served from
/// the copy this member holds (it was a replica: no journal, no network); without a whole copy it fetches every
/// usable member's copy first (<see cref="ReplicaFetch"/>) and merges them. When nobody holds a copy and the cluster
/// has a journal, the shard's rows are read from it (<see cref="StateWriter"/>): a whole-cluster restart, or the owner
/// and every replica lost at once.</item>
/// <item>With a journal, every change made here is also queued for it (written behind, in groups; answers never wait
/// for it).</item>
/// </list>
/// </summary>
public sealed class ReplicaStore : UntypedActor, IWithTimers
{
    public const string Name = "ct-replicas";
    public const int PartItems = 1024;
    private static readonly TimeSpan FetchWait = TimeSpan.FromSeconds(2);

    private sealed class Flush { public static readonly Flush Instance = new(); }
    private sealed record FetchTimeout(string Shard);
    private sealed class Waiter { public required IActorRef To; public required string Shard; public long Token; public int Left; }
    private sealed class Outbox { public readonly List<ReplicaItem> Items = new(); public readonly List<Waiter> Waiters = new(); }
    private sealed class Loading
    {
        public readonly List<(IActorRef To, string? Key)> Loaders = new();
        public readonly HashSet<Address> Asked = new();
        public readonly Dictionary<string, ReplicaItem> Merged = new(StringComparer.Ordinal);
        // Some member answered with a copy; Reading: the journal is being read for the shard.
        public bool Found, Reading;
    }
    private sealed record JournalRetry(string Shard);

    private readonly int _replicas;
    private readonly Dictionary<string, Dictionary<string, ReplicaItem>> _copies = new(StringComparer.Ordinal);
    // Copies being rebuilt (a Reset came, its Whole not yet): not enough to take the shard over from alone.
    private readonly HashSet<string> _partial = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Address[]> _targets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Loading> _loading = new(StringComparer.Ordinal);
    private readonly Dictionary<Address, Outbox> _out = new();
    private readonly Dictionary<Address, Dictionary<long, List<Waiter>>> _inflight = new();
    // Copies sent to a new target, by member and the sequence of their last part: acknowledged = that replica is whole.
    private readonly Dictionary<Address, Dictionary<long, (string Shard, long StartedTicks)>> _syncs = new();
    private List<Address> _usable = new();
    // Acknowledgements owed by a replica that became unreachable (not yet removed): each is owed again by the copy of
    // its shard to the replacement replica, or, with no replacement, waits for the member's return or removal.
    private readonly List<(Waiter W, Address Lost)> _orphans = new();
    // Replicated, but on a side of a partition without a majority: not answered until the majority is back (the
    // other side takes the shard over; two owners must not both accept changes).
    private readonly List<Waiter> _noQuorum = new();
    // The relay of each shard owned here (it loaded it), told of records that arrive for the shard after it loaded
    // (the previous owner's last changes while the shard moved); shards whose relay stopped here.
    private readonly Dictionary<string, IActorRef> _relays = new(StringComparer.Ordinal);
    private readonly HashSet<string> _released = new(StringComparer.Ordinal);
    private readonly Dictionary<Address, MemberStatus> _members = new();
    private readonly HashSet<Address> _unreachable = new();
    private Address _self = null!;
    private long _seq;
    private bool _flushQueued;
    private readonly ReplicationStats _stats;
    private readonly IStateJournal? _journal;
    private IActorRef? _writer;

    public ITimerScheduler Timers { get; set; } = null!;

    public ReplicaStore(int replicas, ReplicationStats stats, IStateJournal? journal = null)
    {
        _replicas = replicas;
        _stats = stats;
        _journal = journal;
    }

    public static Props Props(int replicas, ReplicationStats stats, IStateJournal? journal = null) =>
        Akka.Actor.Props.Create(() => new ReplicaStore(replicas, stats, journal));

    protected override void PreStart()
    {
        if (_journal is not null) _writer = Context.ActorOf(StateWriter.Props(_journal, _stats), StateWriter.Name);
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        _self = cluster.SelfAddress;
        _usable = new List<Address> { _self };
        cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private ActorSelection StoreAt(Address member) => Context.ActorSelection(new RootActorPath(member) / "user" / Name);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Replicate r:
                OnReplicate(r);
                break;
            case Flush:
                _flushQueued = false;
                foreach (var member in _out.Keys.ToList()) FlushTo(member);
                break;
            case ReplicaBatch b:
                Apply(b);
                Sender.Tell(new ReplicaAck(b.Seq));
                break;
            case ReplicaAck a:
                OnAck(Sender.Path.Address, a.Seq);
                break;
            case LoadShard l:
                OnLoad(l);
                break;
            case ReleaseShard rel:
                // The shard stopped here (handed off, or the member leaves): still a copy, no longer the owner's.
                if (_targets.Remove(rel.Shard)) _stats.Owned = _targets.Count;
                _relays.Remove(rel.Shard);
                _released.Add(rel.Shard);
                // (Rebalanced away: the shard starts at its new home, which holds its copy, at its next message.)
                break;
            case ReplicaFetch f:
                AnswerFetch(f.Shard, Sender);
                break;
            case ReplicaCopy c:
                OnCopy(Sender.Path.Address, c);
                break;
            case FetchTimeout t:
                if (_loading.ContainsKey(t.Shard)) FinishLoad(t.Shard);
                break;
            case JournalShard j:
                OnJournalShard(j);
                break;
            case JournalRetry jr:
                if (_loading.TryGetValue(jr.Shard, out var waiting) && waiting.Reading) _writer!.Tell(new ReadShard(jr.Shard));
                break;
            case FlushJournal:
                if (_writer is null) Sender.Tell(JournalFlushed.Instance);
                else _writer.Forward(FlushJournal.Instance);
                break;
            case ReplicaDrop d:
                if (!_targets.ContainsKey(d.Shard) && !_loading.ContainsKey(d.Shard)) { _copies.Remove(d.Shard); _partial.Remove(d.Shard); }
                break;
            // Membership from the events themselves (the cluster's read view may not have caught up with them yet).
            case ClusterEvent.CurrentClusterState s:
                foreach (var m in s.Members) _members[m.Address] = m.Status;
                _unreachable.UnionWith(s.Unreachable.Select(m => m.Address));
                Membership();
                break;
            case ClusterEvent.MemberRemoved removed:
                _members.Remove(removed.Member.Address);
                _unreachable.Remove(removed.Member.Address);
                Membership();
                break;
            case ClusterEvent.IMemberEvent e:
                _members[e.Member.Address] = e.Member.Status;
                Membership();
                break;
            case ClusterEvent.UnreachableMember u:
                _unreachable.Add(u.Member.Address);
                Membership();
                break;
            case ClusterEvent.ReachableMember r:
                _unreachable.Remove(r.Member.Address);
                Membership();
                break;
            case GetReplicationStatus:
                Sender.Tell(Status());
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private Dictionary<string, ReplicaItem> CopyOf(string shard)
    {
        if (!_copies.TryGetValue(shard, out var copy)) _copies[shard] = copy = new Dictionary<string, ReplicaItem>(StringComparer.Ordinal);
        return copy;
    }

    private static void Put(Dictionary<string, ReplicaItem> copy, ReplicaItem item)
    {
        if (item.Conn is null && item.Expect is null) copy.Remove(item.Key);
        else copy[item.Key] = item;
    }

    private void OnReplicate(Replicate r)
    {
        var copy = CopyOf(r.Shard);
        foreach (var item in r.Items) Put(copy, item);
        _stats.Items += r.Items.Length;
        // Behind the replicas, the journal (only a side with a majority writes: the other's changes are never answered).
        if (_writer is not null && r.Items.Length > 0 && Majority()) _writer.Tell(r.Items);
        if (!_targets.TryGetValue(r.Shard, out var targets))
        {
            targets = ReplicaPlacement.Targets(r.Shard, _self, _usable, _replicas);
            // Its relay stopped here (the shard moved): an entity's last change still goes to the replicas, the new
            // owner among them, without this member taking the shard back.
            if (!_released.Contains(r.Shard))
            {
                // Not started through LoadShard (entities started before any record): owned from now on.
                _targets[r.Shard] = targets;
                _stats.Owned = _targets.Count;
            }
        }
        if (targets.Length == 0)
        {
            if (r.Token != 0) Done(new Waiter { To = Sender, Shard = r.Shard, Token = r.Token, Left = 1 });
            return;
        }
        var waiter = r.Token == 0 ? null : new Waiter { To = Sender, Shard = r.Shard, Token = r.Token, Left = targets.Length };
        foreach (var t in targets)
        {
            if (!_out.TryGetValue(t, out var box)) _out[t] = box = new Outbox();
            box.Items.AddRange(r.Items);
            if (waiter is not null) box.Waiters.Add(waiter);
        }
        if (!_flushQueued)
        {
            // After whatever else is already in the mailbox: one batch per member for all of it.
            _flushQueued = true;
            Self.Tell(Flush.Instance);
        }
    }

    private void FlushTo(Address member)
    {
        if (!_out.TryGetValue(member, out var box) || (box.Items.Count == 0 && box.Waiters.Count == 0)) return;
        var store = StoreAt(member);
        for (int i = 0; i < box.Items.Count || i == 0; i += PartItems)
        {
            long seq = ++_seq;
            var part = box.Items.GetRange(i, Math.Min(PartItems, box.Items.Count - i)).ToArray();
            bool last = i + PartItems >= box.Items.Count;
            if (last) Inflight(member)[seq] = new List<Waiter>(box.Waiters);
            store.Tell(new ReplicaBatch(seq, part), Self);
            _stats.Batches++;
        }
        box.Items.Clear();
        box.Waiters.Clear();
    }

    private Dictionary<long, List<Waiter>> Inflight(Address member)
    {
        if (!_inflight.TryGetValue(member, out var map)) _inflight[member] = map = new Dictionary<long, List<Waiter>>();
        return map;
    }

    private void OnAck(Address member, long seq)
    {
        if (_inflight.TryGetValue(member, out var map) && map.Remove(seq, out var waiters))
            foreach (var w in waiters) Done(w);
        if (_syncs.TryGetValue(member, out var syncs) && syncs.Remove(seq, out var sync))
        {
            _stats.LastCopyMs = (System.Diagnostics.Stopwatch.GetTimestamp() - sync.StartedTicks) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
            _stats.CopiesDone++;
            RefreshPending();
        }
    }

    private void Done(Waiter w)
    {
        if (--w.Left > 0) return;
        if (Majority()) w.To.Tell(new Replicated(w.Token));
        else _noQuorum.Add(w);
    }

    /// <summary>This member's side holds a majority of the Up members (reachable ones, itself included), or half of
    /// them with the lowest address: the side keep-majority keeps. Computed when membership changes.</summary>
    private bool _majority = true;

    private bool Majority() => _majority;

    private void Apply(ReplicaBatch b)
    {
        if (b.Items.Any(i => _targets.ContainsKey(i.Shard)) || (b.Reset is { } r0 && _targets.ContainsKey(r0)))
        {
            // Records of a shard owned here now, from its previous owner (sent before it saw the shard move): merged
            // into what this member owns, told to the shard's relay, and sent on to its replicas.
            foreach (var g in b.Items.Where(i => _targets.ContainsKey(i.Shard)).GroupBy(i => i.Shard))
            {
                var late = g.ToArray();
                if (_relays.TryGetValue(g.Key, out var relay)) relay.Tell(new LateRecords(g.Key, late));
                OnReplicate(new Replicate(g.Key, late, 0));
            }
            b = b with { Items = b.Items.Where(i => !_targets.ContainsKey(i.Shard)).ToArray(),
                Reset = b.Reset is { } rs && _targets.ContainsKey(rs) ? null : b.Reset,
                Whole = b.Whole is { } wh && _targets.ContainsKey(wh) ? null : b.Whole };
        }
        if (b.Reset is { } reset)
        {
            _copies[reset] = new Dictionary<string, ReplicaItem>(StringComparer.Ordinal);
            _partial.Add(reset);
        }
        foreach (var item in b.Items) Put(CopyOf(item.Shard), item);
        if (b.Whole is { } whole) _partial.Remove(whole);
        _stats.Received += b.Items.Length;
    }

    /// <summary>Membership changed: the usable members (Up, reachable) are recomputed, replicas that stopped counting
    /// release their waiters, and every owned shard gets its new targets.</summary>
    private void Membership()
    {
        _majority = KeepMajority.Holds(_members.Where(kv => kv.Value is MemberStatus.Up or MemberStatus.WeaklyUp).Select(kv => kv.Key).ToList(),
            a => !_unreachable.Contains(a));
        var usable = _members.Where(kv => kv.Value is MemberStatus.Up or MemberStatus.WeaklyUp && !_unreachable.Contains(kv.Key))
            .Select(kv => kv.Key).ToList();
        if (!usable.Contains(_self)) usable.Add(_self);
        _usable = usable;
        foreach (var gone in _out.Keys.Concat(_inflight.Keys).Concat(_syncs.Keys).Distinct().Where(a => !usable.Contains(a)).ToList())
        {
            // Removed: its acknowledgements are no longer owed. Unreachable or leaving: owed by its replacement.
            bool removed = !_members.ContainsKey(gone);
            var owed = new List<Waiter>();
            if (_out.Remove(gone, out var box)) owed.AddRange(box.Waiters);
            if (_inflight.Remove(gone, out var map)) foreach (var ws in map.Values) owed.AddRange(ws);
            foreach (var w in owed)
                if (removed) Done(w);
                else _orphans.Add((w, gone));
            _syncs.Remove(gone);
        }
        foreach (var (shard, old) in _targets.ToList()) Retarget(shard, old);
        // An owed acknowledgement moves to the copy of its shard now on its way to a replacement replica; one whose
        // replica was removed meanwhile is no longer owed.
        for (int i = _orphans.Count - 1; i >= 0; i--)
        {
            var (w, lost) = _orphans[i];
            if (!_members.ContainsKey(lost)) { _orphans.RemoveAt(i); Done(w); continue; }
            foreach (var (member, syncs) in _syncs)
            {
                var copy = syncs.FirstOrDefault(kv => kv.Value.Shard == w.Shard);
                if (copy.Value.Shard is null) continue;
                var list = Inflight(member).TryGetValue(copy.Key, out var l) ? l : Inflight(member)[copy.Key] = new List<Waiter>();
                list.Add(w);
                _orphans.RemoveAt(i);
                break;
            }
        }
        if (_noQuorum.Count > 0 && Majority())
        {
            foreach (var w in _noQuorum) w.To.Tell(new Replicated(w.Token));
            _noQuorum.Clear();
        }
        // Copies of shards nobody hosts any more that this member now ranks first for (their owner was lost): the shard
        // is started here now, not at its next packet, so that it is copied to a new replica before a second loss.
        var wake = _copies.Keys.Where(s => !_targets.ContainsKey(s) && !_loading.ContainsKey(s)
            && ReplicaPlacement.Ranked(s, usable)[0].Equals(_self)).ToList();
        if (wake.Count > 0) Wake(wake);
        foreach (var (shard, loading) in _loading.ToList())
            if (loading.Asked.RemoveWhere(a => !usable.Contains(a)) > 0 && loading.Asked.Count == 0) FinishLoad(shard);
        RefreshPending();
    }

    /// <summary>Starts these shards' relays wherever the region homes them (not while this member shuts down: its
    /// region is gone then).</summary>
    private void Wake(IEnumerable<string> shards)
    {
        if (Akka.Cluster.Cluster.Get(Context.System).IsTerminated
            || !Akka.Cluster.Sharding.ClusterSharding.Get(Context.System).ShardTypeNames.Contains(ConntrackRegion.Name)) return;
        var region = Akka.Cluster.Sharding.ClusterSharding.Get(Context.System).ShardRegion(ConntrackRegion.Name);
        foreach (var shard in shards) region.Tell(new WakeEntity(BatchRelayEntity.EntityId(shard)));
    }

    private void Retarget(string shard, Address[] old)
    {
        var now = ReplicaPlacement.Targets(shard, _self, _usable, _replicas);
        _targets[shard] = now;
        foreach (var added in now.Where(a => !old.Contains(a))) SendCopy(shard, added);
        foreach (var dropped in old.Where(a => !now.Contains(a) && _usable.Contains(a))) StoreAt(dropped).Tell(new ReplicaDrop(shard), Self);
    }

    /// <summary>The whole shard to a new replica, after what was queued for it (so the copy supersedes it).</summary>
    private void SendCopy(string shard, Address member)
    {
        FlushTo(member);
        var items = CopyOf(shard).Values.ToArray();
        var store = StoreAt(member);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < items.Length || i == 0; i += PartItems)
        {
            long seq = ++_seq;
            bool last = i + PartItems >= items.Length;
            store.Tell(new ReplicaBatch(seq, items.AsSpan(i, Math.Min(PartItems, items.Length - i)).ToArray(),
                Reset: i == 0 ? shard : null, Whole: last ? shard : null), Self);
            if (last)
            {
                if (!_syncs.TryGetValue(member, out var syncs)) _syncs[member] = syncs = new();
                syncs[seq] = (shard, started);
            }
        }
        _stats.CopiesStarted++;
        _stats.ItemsCopied += items.Length;
    }

    private void RefreshPending() => _stats.CopiesPending = _syncs.Values.Sum(s => s.Count);

    private void OnLoad(LoadShard l)
    {
        _released.Remove(l.Shard);
        if (l.Key is null) _relays[l.Shard] = Sender;
        if (_targets.ContainsKey(l.Shard)) { Reply(Sender, l.Shard, l.Key); return; }
        if (_loading.TryGetValue(l.Shard, out var loading)) { loading.Loaders.Add((Sender, l.Key)); return; }
        var others = _usable.Where(a => !a.Equals(_self)).ToList();
        if ((_copies.ContainsKey(l.Shard) && !_partial.Contains(l.Shard)) || ((others.Count == 0 || _replicas <= 1) && _writer is null))
        {
            // This member was a replica of the shard (or nobody else can have it): take it over from memory.
            Own(l.Shard);
            Reply(Sender, l.Shard, l.Key);
            return;
        }
        loading = _loading[l.Shard] = new Loading();
        loading.Loaders.Add((Sender, l.Key));
        if (_copies.TryGetValue(l.Shard, out var partial)) foreach (var (k, v) in partial) loading.Merged[k] = v;
        if (others.Count == 0) { FinishLoad(l.Shard); return; }
        foreach (var a in others)
        {
            loading.Asked.Add(a);
            StoreAt(a).Tell(new ReplicaFetch(l.Shard), Self);
        }
        Timers.StartSingleTimer("fetch-" + l.Shard, new FetchTimeout(l.Shard), FetchWait);
    }

    private void AnswerFetch(string shard, IActorRef asker)
    {
        if (!_copies.TryGetValue(shard, out var copy)) { asker.Tell(new ReplicaCopy(shard, Array.Empty<ReplicaItem>(), true, false)); return; }
        var items = copy.Values.ToArray();
        for (int i = 0; i < items.Length || i == 0; i += PartItems)
            asker.Tell(new ReplicaCopy(shard, items.AsSpan(i, Math.Min(PartItems, items.Length - i)).ToArray(), i + PartItems >= items.Length, true));
    }

    private void OnCopy(Address from, ReplicaCopy c)
    {
        if (!_loading.TryGetValue(c.Shard, out var loading)) return;
        // Records missing from what is merged so far are taken; what an earlier answer brought stays.
        foreach (var item in c.Items) loading.Merged.TryAdd(item.Key, item);
        if (c.Found) loading.Found = true;
        if (c.Last && loading.Asked.Remove(from) && loading.Asked.Count == 0) FinishLoad(c.Shard);
    }

    private void FinishLoad(string shard)
    {
        if (!_loading.TryGetValue(shard, out var loading) || loading.Reading) return;
        Timers.Cancel("fetch-" + shard);
        if (_writer is not null && !loading.Found)
        {
            // No member holds the shard: its journal rows (what memory held, partly, wins over them).
            loading.Reading = true;
            loading.Asked.Clear();
            _writer.Tell(new ReadShard(shard));
            return;
        }
        _loading.Remove(shard);
        _copies[shard] = loading.Merged;
        _partial.Remove(shard);
        Own(shard);
        foreach (var (to, key) in loading.Loaders) Reply(to, shard, key);
    }

    private void OnJournalShard(JournalShard j)
    {
        if (!_loading.TryGetValue(j.Shard, out var loading) || !loading.Reading) return;
        if (j.Error is not null)
        {
            // Not started empty (its later rows would then cover state the journal still holds): asked again.
            _stats.JournalErrors++;
            Context.GetLogger().Warning("conntrack journal: shard {0} could not be read, retrying in 1 s: {1}", j.Shard, j.Error.GetBaseException().Message);
            Timers.StartSingleTimer("journal-" + j.Shard, new JournalRetry(j.Shard), TimeSpan.FromSeconds(1));
            return;
        }
        foreach (var row in j.Rows) loading.Merged.TryAdd(row.Key, row);
        _stats.JournalReads++;
        _stats.JournalRowsRead += j.Rows.Length;
        loading.Reading = false;
        loading.Found = true;
        FinishLoad(j.Shard);
    }

    /// <summary>The shard is owned here from now: its copy is the owner's record, sent whole to its targets; members
    /// that hold a copy but are no targets are told to drop it.</summary>
    private void Own(string shard)
    {
        CopyOf(shard);
        _partial.Remove(shard);
        _targets[shard] = Array.Empty<Address>();
        _stats.Owned = _targets.Count;
        Retarget(shard, Array.Empty<Address>());
        foreach (var other in _usable.Where(a => !a.Equals(_self) && !_targets[shard].Contains(a))) StoreAt(other).Tell(new ReplicaDrop(shard), Self);
        RefreshPending();
    }

    private void Reply(IActorRef to, string shard, string? key)
    {
        var copy = CopyOf(shard);
        ReplicaItem[] items = key is null ? copy.Values.ToArray()
            : copy.TryGetValue(key, out var one) ? new[] { one } : Array.Empty<ReplicaItem>();
        to.Tell(new ShardLoaded(shard, items));
    }

    private ReplicationStatus Status()
    {
        var copying = _syncs.Values.SelectMany(s => s.Values.Select(v => v.Shard)).ToHashSet(StringComparer.Ordinal);
        int wanted = Math.Min(_replicas - 1, _usable.Count - 1);
        return new ReplicationStatus(_replicas, _targets.Count,
            _targets.Count(kv => kv.Value.Length >= wanted && !copying.Contains(kv.Key)),
            _targets.Keys.Sum(s => _copies.TryGetValue(s, out var c) ? c.Count : 0),
            _copies.Where(kv => !_targets.ContainsKey(kv.Key)).Sum(kv => kv.Value.Count),
            _stats.CopiesPending, _stats.LastCopyMs,
            _targets.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + string.Join("|", kv.Value.Select(a => a.ToString()))).ToArray());
    }
}

/// <summary>Relay or entity → its member's store: apply these records of <paramref name="Shard"/> and replicate them;
/// <see cref="Replicated"/> with <paramref name="Token"/> once every replica has them (0: nobody waits).</summary>
public sealed record Replicate(string Shard, ReplicaItem[] Items, long Token);

/// <summary>The records of <see cref="Replicate"/> <paramref name="Token"/> are on every replica.</summary>
public sealed record Replicated(long Token);

/// <summary>A shard starts on this member: its records (all, or the one of <paramref name="Key"/>), from this member's
/// copy or gathered from the others' (<see cref="ShardLoaded"/>). The shard is owned here from then on.</summary>
public sealed record LoadShard(string Shard, string? Key = null);

public sealed record ShardLoaded(string Shard, ReplicaItem[] Items);

/// <summary>Store → the relay of a shard owned here: records of the shard that arrived after it loaded (the previous
/// owner's last changes while the shard moved).</summary>
public sealed record LateRecords(string Shard, ReplicaItem[] Items);

/// <summary>A shard's relay stopped here (hand-off, leave): this member no longer replicates it as owner.</summary>
public sealed record ReleaseShard(string Shard);

/// <summary>Asks the store for <see cref="ReplicationStatus"/>.</summary>
public sealed class GetReplicationStatus { public static readonly GetReplicationStatus Instance = new(); }

/// <summary>This member's part: shards owned, of them those with every replica whole, records owned and kept for
/// others, whole-shard copies still unacknowledged, how long the last one took, and per owned shard its replica members
/// (<c>shard=address|address</c>).</summary>
public sealed record ReplicationStatus(int Replicas, int OwnedShards, int SyncedShards, int OwnedRecords, int ReplicaRecords,
    int CopiesPending, double LastCopyMs, string[] Placement);

/// <summary>Per member (an ActorSystem extension): whether conntrack state is replicated, the store, and its counters
/// (read by metrics and benches as a moment's view).</summary>
public sealed class ReplicationStats
{
    public int Owned;
    public long Items, Received, Batches, CopiesStarted, CopiesDone, ItemsCopied;
    public int CopiesPending;
    public double LastCopyMs;
    /// <summary>The journal behind the replicas: rows queued, transactions and rows written, failures, shards read.</summary>
    public int JournalPending;
    public long JournalWrites, JournalRows, JournalErrors, JournalReads, JournalRowsRead;
}

public sealed class Replication : IExtension
{
    public int Replicas { get; private set; } = 1;
    public IActorRef? Store { get; private set; }
    public ReplicationStats Stats { get; } = new();
    /// <summary>Conntrack state is replicated (R ≥ 2): entities and relays replicate before they answer.</summary>
    public bool On => Store is not null;

    public static Replication Get(ActorSystem system) => system.WithExtension<Replication, ReplicationProvider>();

    /// <summary>Starts the store (R ≥ 2), before the conntrack region, with the journal it writes behind the replicas
    /// (optional); R = 1 leaves replication off.</summary>
    public void Start(ActorSystem system, int replicas, IStateJournal? journal = null)
    {
        Replicas = Math.Max(1, replicas);
        Journaled = journal is not null;
        if (Replicas >= 2 && Store is null) Store = system.ActorOf(ReplicaStore.Props(Replicas, Stats, journal), ReplicaStore.Name);
    }

    /// <summary>A journal is written behind the replicas.</summary>
    public bool Journaled { get; private set; }
}

public sealed class ReplicationProvider : ExtensionIdProvider<Replication>
{
    public override Replication CreateExtension(ExtendedActorSystem system) => new();
}
