using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Switch.Core.Datapath;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// The cluster's one writer of flow tables (a cluster singleton), so changes apply in the order given. A change is
/// replicated as what changed, with its version, never as the whole table, in two phases:
/// <list type="number">
/// <item>every line is parsed here first (a bad line changes nothing and names the line);</item>
/// <item><b>prepare</b>: the change goes to every Up member's datapath (<see cref="FlowDelta"/>, in parts of at most
/// <see cref="ClusterLimits.PartBytes"/>); each checks it is at the previous version, parses and stages it. A member
/// that is behind gets the table first (<see cref="FlowSnapshotPart"/>s) and the change again;</item>
/// <item>once every member has staged it, the manager applies it, journals it (durable clusters) and sends
/// <b>commit</b>; the command answers when every member has applied it. If a member refuses or does not answer
/// the prepare, every member drops the staged change and the command's error names the member: all or none.</item>
/// </list>
/// Members that join later, or fall behind (a commit lost with a dying connection), catch up on their own: their
/// datapaths report their version every few seconds (<see cref="FlowSync"/>) and get the table when it is older.
/// A manager that starts (first time, or after its node left) takes the newest table among the members and the
/// journal before it accepts a change.
/// </summary>
public sealed class FlowManager : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    private static readonly TimeSpan PhaseTimeout = TimeSpan.FromSeconds(10);

    private readonly FlowTables _tables = new();
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly bool _durable;
    private IActorRef? _journal;
    private long _version;
    /// <summary>Commands arriving in parts, by request id.</summary>
    private readonly Dictionary<long, (byte Kind, bool Strict, List<string> Lines, long Seq)> _incoming = new();
    private long _incomingSeq;
    private const int MaxRequestsInProgress = 8;
    private Publish? _pub;

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary><paramref name="durable"/>: a journal is configured, so flow changes are journaled too.</summary>
    public static Props Props(bool durable = false) => Akka.Actor.Props.Create(() => new FlowManager(durable));

    private sealed record Loaded(FlowSet? Set);
    private sealed record PhaseTimedOut(long Version, bool Commit);

    /// <summary>One change on its way to the members.</summary>
    private sealed class Publish
    {
        public required long Version;
        public required byte Kind;
        public required bool Strict;
        public required string[] Lines;
        public required List<Flow> Flows;
        public required IActorRef ReplyTo;
        public required Dictionary<Address, string> Members; // address -> name (or the address until it answers)
        public readonly HashSet<Address> Prepared = new(), Applied = new(), Resent = new();
        public bool Committing;
        public int Affected;
    }

    public FlowManager(bool durable)
    {
        _durable = durable;
        Receive<Loaded>(l =>
        {
            if (l.Set is not null)
            {
                foreach (var line in l.Set.Lines) _tables.Add(FlowParser.Parse(line), Now());
                _version = l.Set.Version;
            }
            Become(Ready);
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.MemberRemoved));
        _journal = _durable ? Context.ActorOf(FlowJournal.Props(), "journal") : null;
        LoadAsync(_journal, Context.System, UpMembers().ToList()).PipeTo(Self);
    }

    private IEnumerable<Member> UpMembers() => _cluster.State.Members.Where(m => m.Status == MemberStatus.Up);

    private static ActorSelection DatapathOf(ActorSystem system, Address a) =>
        system.ActorSelection(new RootActorPath(a) / "user" / DatapathActor.Name);

    /// <summary>The newest of what the members run and what the journal kept.</summary>
    private static async Task<Loaded> LoadAsync(IActorRef? journal, ActorSystem system, List<Member> members)
    {
        FlowSet? fromJournal = null;
        if (journal is not null) fromJournal = (await journal.Ask<FlowSetLoaded>(new FlowJournal.Load(), TimeSpan.FromSeconds(60))).Set;
        var versions = await Task.WhenAll(members.Select(async m =>
        {
            try { return (m.Address, (await DatapathOf(system, m.Address).Ask<FlowSync>(new FlowStateQuery(false), TimeSpan.FromSeconds(3))).Have); }
            catch (Exception) { return (m.Address, -1L); }
        }));
        var best = versions.OrderByDescending(v => v.Item2).FirstOrDefault();
        if (best.Item2 <= 0 || (fromJournal is not null && fromJournal.Version >= best.Item2)) return new Loaded(fromJournal);
        // A member runs a newer table than the journal holds: read it back in parts.
        var inbox = Inbox.Create(system);
        try
        {
            DatapathOf(system, best.Address).Tell(new FlowStateQuery(true), inbox.Receiver);
            var lines = new List<string>();
            while (true)
            {
                if (await inbox.ReceiveAsync(TimeSpan.FromSeconds(30)) is not FlowSnapshotPart part) return new Loaded(fromJournal);
                lines.AddRange(part.Lines);
                if (!part.More) return new Loaded(new FlowSet(part.Version, lines.ToArray()));
            }
        }
        catch (Exception) { return new Loaded(fromJournal); }
        finally { inbox.Dispose(); }
    }

    private void Ready()
    {
        Receive<FlowCommand>(OnCommand);
        Receive<FlowSync>(OnSync);
        Receive<FlowDeltaPrepared>(_ => { });
        Receive<FlowSetApplied>(_ => { });
        Receive<PhaseTimedOut>(_ => { });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
    }

    private void Busy()
    {
        Receive<FlowDeltaPrepared>(OnPrepared);
        Receive<FlowSetApplied>(OnApplied);
        Receive<PhaseTimedOut>(OnTimeout);
        Receive<FlowJournal.Saved>(_ => Commit());
        Receive<FlowSync>(OnSync);
        Receive<ClusterEvent.MemberRemoved>(r => OnLeft(r.Member.Address));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        ReceiveAny(_ => Stash.Stash());
    }

    private void OnCommand(FlowCommand cmd)
    {
        string[] lines = cmd.Lines;
        if (cmd.Request != 0)
        {
            if (!_incoming.TryGetValue(cmd.Request, out var acc))
            {
                // A client that died mid-send leaves its parts behind: keep only the newest few requests in progress.
                if (_incoming.Count >= MaxRequestsInProgress) _incoming.Remove(_incoming.MinBy(r => r.Value.Seq).Key);
                _incoming[cmd.Request] = acc = (cmd.Kind, cmd.Strict, new List<string>(), ++_incomingSeq);
            }
            acc.Lines.AddRange(cmd.Lines);
            if (cmd.More) return;
            _incoming.Remove(cmd.Request);
            lines = acc.Lines.ToArray();
        }
        var (flows, err) = FlowSets.Parse(cmd.Kind, lines);
        if (err is not null) { Sender.Tell(new FlowCommandResult(0, _version, err)); return; }
        var members = UpMembers().ToDictionary(m => m.Address, m => m.Address.ToString());
        _pub = new Publish
        {
            Version = _version + 1, Kind = cmd.Kind, Strict = cmd.Strict, Lines = lines, Flows = flows!, ReplyTo = Sender, Members = members,
        };
        foreach (var a in members.Keys) SendDelta(a);
        Timers.StartSingleTimer("phase", new PhaseTimedOut(_pub.Version, false), PhaseTimeout);
        Become(Busy);
        if (members.Count == 0) Prepare();
    }

    private void SendDelta(Address a)
    {
        var dp = DatapathOf(Context.System, a);
        foreach (var part in FlowSets.DeltaParts(_pub!.Version, _pub.Kind, _pub.Strict, _pub.Lines)) dp.Tell(part, Self);
    }

    private void SendSnapshot(IActorRef to)
    {
        foreach (var part in FlowSets.SnapshotParts(_version, FlowSets.Lines(_tables))) to.Tell(part, Self);
    }

    private Address AddressOf(IActorRef sender) => sender.Path.Address.HasLocalScope ? _cluster.SelfAddress : sender.Path.Address;

    private void OnPrepared(FlowDeltaPrepared p)
    {
        var pub = _pub!;
        var a = AddressOf(Sender);
        if (p.Version != pub.Version || pub.Committing || !pub.Members.ContainsKey(a)) return;
        pub.Members[a] = p.Node;
        if (p.Error is null) { pub.Prepared.Add(a); Prepare(); return; }
        if (p.Have < pub.Version - 1 && pub.Resent.Add(a))
        {
            // Behind (it joined, or lost a commit): the table first, then the change again, in this order.
            SendSnapshot(Sender);
            SendDelta(a);
            return;
        }
        Fail($"flow change {pub.Version} not applied: member {p.Node} ({a}) cannot apply it: {p.Error}; nothing changed");
    }

    /// <summary>Every member staged the change: apply it here, journal it, then commit everywhere.</summary>
    private void Prepare()
    {
        var pub = _pub!;
        if (pub.Committing || pub.Prepared.Count < pub.Members.Count) return;
        pub.Committing = true;
        pub.Affected = FlowSets.Apply(_tables, pub.Kind, pub.Strict, pub.Flows, Now());
        _version = pub.Version;
        if (_journal is not null) _journal.Tell(new FlowJournal.Save(pub.Version, pub.Kind, pub.Strict, pub.Lines));
        else Commit();
    }

    private void Commit()
    {
        var pub = _pub!;
        foreach (var a in pub.Members.Keys) DatapathOf(Context.System, a).Tell(new FlowDeltaCommit(pub.Version, true), Self);
        Timers.StartSingleTimer("phase", new PhaseTimedOut(pub.Version, true), PhaseTimeout);
        if (pub.Members.Count == 0) Finish(null);
    }

    private void OnApplied(FlowSetApplied a)
    {
        var pub = _pub!;
        if (!pub.Committing || a.Version < pub.Version) return;
        pub.Applied.Add(AddressOf(Sender));
        if (pub.Applied.Count >= pub.Members.Count) Finish(null);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>A member removed from the cluster mid-change (downed, or left) is no longer waited for: it takes the
    /// table from the manager when it joins again.</summary>
    private void OnLeft(Address a)
    {
        if (_pub is not { } pub || !pub.Members.Remove(a)) return;
        pub.Prepared.Remove(a);
        pub.Applied.Remove(a);
        if (!pub.Committing) Prepare();
        else if (pub.Applied.Count >= pub.Members.Count) Finish(null);
    }

    private void OnTimeout(PhaseTimedOut t)
    {
        var pub = _pub!;
        if (t.Version != pub.Version || t.Commit != pub.Committing) return;
        if (!t.Commit)
        {
            var silent = pub.Members.Where(m => !pub.Prepared.Contains(m.Key)).Select(m => m.Value);
            Fail($"flow change {pub.Version} not applied: no answer within {PhaseTimeout.TotalSeconds:0} s from member {string.Join(", ", silent)}; nothing changed");
            return;
        }
        // Committed here and journaled: a member that did not confirm catches up by itself (FlowSync).
        var late = pub.Members.Where(m => !pub.Applied.Contains(m.Key)).Select(m => m.Value);
        Context.System.Log.Warning("flow change {0}: members {1} did not confirm the commit; they will catch up", pub.Version, string.Join(", ", late));
        Finish(null);
    }

    private void Fail(string error)
    {
        var pub = _pub!;
        foreach (var a in pub.Members.Keys) DatapathOf(Context.System, a).Tell(new FlowDeltaCommit(pub.Version, false), Self);
        Finish(error);
    }

    private void Finish(string? error)
    {
        var pub = _pub!;
        Timers.Cancel("phase");
        pub.ReplyTo.Tell(error is null ? new FlowCommandResult(pub.Affected, pub.Version, null) : new FlowCommandResult(0, _version, error));
        _pub = null;
        Become(Ready);
        Stash.UnstashAll();
    }

    /// <summary>A member's datapath runs an older table (it joined, or missed a commit): send it the table.</summary>
    private void OnSync(FlowSync s)
    {
        if (s.Have >= _version) return;
        // Being committed: the member has it staged, and the commit is on its way.
        if (_pub is { Committing: true } && s.Have == _version - 1) return;
        SendSnapshot(Sender);
    }

    private static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;
}
