using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// One node's datapath in the cluster: a thin shell that owns the <see cref="Switch.Core.Datapath.Datapath"/>, feeds it the
/// frames its ports receive (and packet-out frames), hands ct calls to the sharded entities through
/// <see cref="ClusterConntrack"/> and resumes packets with their answers, and keeps its flow tables in step
/// with the replicated flow set. Registered as /user/datapath on every node.
/// </summary>
public sealed class DatapathActor : UntypedActor, IWithTimers
{
    public const string Name = "datapath";
    private sealed class Tick { public static readonly Tick Instance = new(); }
    /// <summary>Local only: the control API's address once its web host is bound.</summary>
    public sealed record SetApiUrl(string Url);

    private readonly string _node;
    private string _apiUrl;
    private readonly IClock _clock;
    private readonly Switch.Core.Datapath.Datapath _dp;
    private readonly ClusterConntrack _ct;
    private long _flowVersion;
    private readonly Address _selfAddress;
    private readonly string _regionName;
    private readonly int _shards;
    private readonly ConntrackSettings _settings;
    /// <summary>A flow change arriving in parts (phase one), then parsed and staged until its commit.</summary>
    private FlowDelta? _deltaHead;
    private List<string>? _deltaLines;
    private (long Version, byte Kind, bool Strict, List<Flow> Flows)? _staged;
    private List<string>? _snapshotLines;
    private int _ticks;

    public ITimerScheduler Timers { get; set; } = null!;
    public long FlowVersion => _flowVersion;

    public DatapathActor(string node, string apiUrl, IClock clock, IEnumerable<IPort> ports, string regionName, int shards, TimeSpan ctTimeout,
        ConntrackSettings? settings = null, bool leases = true, bool durable = false)
    {
        _node = node;
        _apiUrl = apiUrl;
        _clock = clock;
        var system = Context.System;
        _selfAddress = Akka.Cluster.Cluster.Get(system).SelfAddress;
        _regionName = regionName;
        _shards = shards;
        _settings = settings ?? ConntrackSettings.Default;
        var self = Self;
        IActorRef? region = null;
        _ct = new ClusterConntrack(m => (region ??= ClusterSharding.Get(system).ShardRegion(regionName)).Tell(m, self), m => self.Tell(m), shards, timeout: ctTimeout,
            clock: clock, settings: settings, leases: leases, durableReports: durable);
        _dp = new Switch.Core.Datapath.Datapath(null, clock, _ct);
        foreach (var p in ports) _dp.AddPort(p);
    }

    public static Props Props(string node, string apiUrl, IClock clock, IEnumerable<IPort> ports, string regionName, int shards, TimeSpan ctTimeout,
        ConntrackSettings? settings = null, bool leases = true, bool durable = false) =>
        Akka.Actor.Props.Create(() => new DatapathActor(node, apiUrl, clock, ports, regionName, shards, ctTimeout, settings, leases, durable));

    /// <summary>The ct counters of this node's datapath (metrics, benchmarks).</summary>
    public ClusterConntrack Conntrack => _ct;

    private sealed class ResendAfterRemoval { public static readonly ResendAfterRemoval Instance = new(); }

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
        SyncFlows();
        // Leases die with the node that granted them (its entities come back elsewhere from durable state).
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.MemberRemoved), typeof(ClusterEvent.MemberLeft),
            typeof(ClusterEvent.MemberExited));
    }

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private Address Grantor(IActorRef sender)
    {
        var a = sender.Path.Address;
        return a.HasLocalScope ? _selfAddress : a;
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Packet p:
                _dp.Receive(p);
                break;
            case CtReply r:
                _ct.OnReply(r, _dp, Grantor(Sender));
                break;
            case CtReplyBatch b:
            {
                var grantor = Grantor(Sender);
                foreach (var r in b.Replies) _ct.OnReply(r, _dp, grantor);
                break;
            }
            case LeaseRevoke rv:
                Sender.Tell(_ct.OnRevoke(rv), Self);
                break;
            case LeaseReportAck a:
                _ct.OnReportAck(a, _dp);
                break;
            case ClusterEvent.UnreachableMember u:
                _ct.DropLeasesFrom(u.Member.Address);
                break;
            case ClusterEvent.MemberRemoved removed:
                _ct.DropLeasesFrom(removed.Member.Address);
                // Its shards move now: what may have gone to it goes again, to their new home, rather than waiting
                // out its timeout; again over the next seconds, for what was sent before the region learned the
                // shard's new home (the coordinator allocates it after the removal margin).
                _ct.ResendUnanswered(_ct.NowUs - 100_000);
                _ct.OnFlush();
                for (int i = 1; i <= 4; i++) Timers.StartSingleTimer("resend-" + i, ResendAfterRemoval.Instance, TimeSpan.FromMilliseconds(750 * i));
                break;
            case ResendAfterRemoval:
                _ct.ResendUnanswered(_ct.NowUs - 500_000);
                _ct.OnFlush();
                break;
            case ClusterEvent.MemberLeft or ClusterEvent.MemberExited:
                _ct.DropLeasesFrom(((ClusterEvent.IMemberEvent)message).Member.Address);
                break;
            case ClusterEvent.IMemberEvent or ClusterEvent.ReachableMember:
                break;
            case ClusterConntrack.Flush:
                _ct.OnFlush();
                break;
            case ClusterConntrack.Refuse r:
                _ct.OnRefuse(r, _dp);
                break;
            case InjectFrames inj:
                Inject(inj, Sender);
                break;
            case FlowDelta d:
                OnDelta(d);
                break;
            case FlowDeltaCommit c:
                OnCommit(c);
                break;
            case FlowSnapshotPart sp:
                OnSnapshot(sp);
                break;
            case FlowStateQuery q:
                if (!q.Snapshot) Sender.Tell(new FlowSync(_node, _flowVersion));
                else foreach (var part in FlowSets.SnapshotParts(_flowVersion, FlowSets.Lines(_dp.Tables))) Sender.Tell(part);
                break;
            case DumpFlows d:
                Sender.Tell(Dump(d));
                break;
            case SetApiUrl u:
                _apiUrl = u.Url;
                break;
            case GetNodeInfo:
                Sender.Tell(new NodeInfo(_node, _apiUrl, _ct.Queries, _ct.BatchesSent, _ct.BatchedQueries, _ct.Timeouts, _ct.Refused, _ct.Pending,
                    _ct.LocalDecisions, _ct.LeasesHeld));
                break;
            case DumpParked d:
            {
                var ids = new List<string>();
                var lines = new List<string>();
                foreach (var (id, parked) in ShardDirectory.Get(Context.System).ParkedEntries())
                {
                    ids.Add(id);
                    if ((d.Zone is null || parked.Image.Zone == d.Zone) && _ct.FormatParked(parked.Image) is { } line) lines.Add(line);
                    if (ids.Count < ParkedDump.PartSize) continue;
                    Sender.Tell(new ParkedDump(ids.ToArray(), lines.ToArray(), false));
                    ids.Clear();
                    lines.Clear();
                }
                Sender.Tell(new ParkedDump(ids.ToArray(), lines.ToArray(), true));
                break;
            }
            case DumpMemberConntrack d:
                _ = MemberConntrack.DumpAsync(Context.System, Region(), Sender, d, _clock, _settings);
                break;
            case GetMemberCounts:
                MemberConntrack.CountAsync(Context.System, Region(), _shards).PipeTo(Sender);
                break;
            case FlushMemberConntrack f:
                MemberConntrack.FlushAsync(Context.System, Region(), f).PipeTo(Sender);
                break;
            case GetParkedEntities:
                Sender.Tell(new ParkedEntities(ShardDirectory.Get(Context.System).HeldIds()));
                break;
            case GetDatapathStats:
                Sender.Tell(Stats());
                break;
            case GetMemberDrops:
            {
                var drops = _dp.Counters.Drops;
                Sender.Tell(new MemberDrops(drops.Keys.ToArray(), drops.Values.ToArray()));
                break;
            }
            case Tick:
                _ct.ExpireOverdue(_dp);
                _dp.ExpireFlows();
                if (++_ticks % FlowSyncTicks == 0) SyncFlows();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private IActorRef Region() => ClusterSharding.Get(Context.System).ShardRegion(_regionName);

    private DatapathStats Stats()
    {
        var c = _dp.Counters;
        var ports = new List<(uint, string, long)>();
        foreach (var (no, p) in c.Ports)
        {
            ports.Add((no, "rx", p.RxPackets));
            ports.Add((no, "tx", p.TxPackets));
            ports.Add((no, "tx_dropped", p.TxDropped));
            ports.Add((no, "dropped", p.Dropped));
        }
        return new DatapathStats(ports, new Dictionary<string, long>(c.Drops), _ct.Queries, _ct.Decisions, _ct.Timeouts,
            _ct.Refused, _ct.Pending, c.ToController, _ct.LocalDecisions, _ct.LeasesHeld);
    }

    /// <summary>Seconds between this datapath's reports of its flow version to the manager (catch-up).</summary>
    private const int FlowSyncTicks = 3;

    private void SyncFlows() =>
        Context.ActorSelection("/user/" + FlowManagerProxyName).Tell(new FlowSync(_node, _flowVersion));

    /// <summary>The local singleton proxy of the flow manager (every node starts one under this name).</summary>
    public const string FlowManagerProxyName = "flow-manager-proxy";

    /// <summary>Phase one: collect the parts, then check the version and parse; answer whether it is staged.</summary>
    private void OnDelta(FlowDelta d)
    {
        if (_deltaHead is null || _deltaHead.Version != d.Version) { _deltaHead = d; _deltaLines = new List<string>(); }
        _deltaLines!.AddRange(d.Lines);
        if (d.More) return;
        var lines = _deltaLines;
        _deltaHead = null; _deltaLines = null;
        if (d.Version != _flowVersion + 1)
        {
            Sender.Tell(new FlowDeltaPrepared(_node, d.Version, _flowVersion, $"runs flow version {_flowVersion}, the change needs {d.Version - 1}"));
            return;
        }
        var (flows, err) = FlowSets.Parse(d.Kind, lines);
        if (err is not null) { Sender.Tell(new FlowDeltaPrepared(_node, d.Version, _flowVersion, err)); return; }
        _staged = (d.Version, d.Kind, d.Strict, flows!);
        Sender.Tell(new FlowDeltaPrepared(_node, d.Version, _flowVersion, null));
    }

    /// <summary>Phase two: apply (or drop) the staged change; answer with the version this datapath runs.</summary>
    private void OnCommit(FlowDeltaCommit c)
    {
        if (_staged is { } st && st.Version == c.Version)
        {
            _staged = null;
            if (c.Apply && st.Version == _flowVersion + 1)
            {
                FlowSets.Apply(_dp.Tables, st.Kind, st.Strict, st.Flows, _clock.NowUs);
                _flowVersion = st.Version;
            }
        }
        if (c.Apply) Sender.Tell(new FlowSetApplied(_node, _flowVersion));
    }

    /// <summary>A whole table (catch-up): applied once its last part is in, if it is newer than what runs here.</summary>
    private void OnSnapshot(FlowSnapshotPart p)
    {
        (_snapshotLines ??= new List<string>()).AddRange(p.Lines);
        if (p.More) return;
        var lines = _snapshotLines;
        _snapshotLines = null;
        if (p.Version <= _flowVersion) return;
        FlowSets.Apply(_dp.Tables, new FlowSet(p.Version, lines.ToArray()), _clock.NowUs);
        _flowVersion = p.Version;
        if (_staged is { } st && st.Version <= _flowVersion) _staged = null;
    }

    private DumpFlowsReply Dump(DumpFlows d)
    {
        Flow? sel = null;
        if (!string.IsNullOrWhiteSpace(d.Match))
        {
            var (s, err) = FlowParser.TryParse(d.Match, FlowTextMode.Select);
            if (err is not null) return new DumpFlowsReply(Array.Empty<string>(), err.ToString());
            sel = s;
        }
        return new DumpFlowsReply(_dp.Tables.Dump(_clock.NowUs, sel).ToArray(), null);
    }

    /// <summary>packet-out: every frame enters table 0 on the given port; the answer comes when the last is done.</summary>
    private void Inject(InjectFrames inj, IActorRef replyTo)
    {
        var results = new InjectedFrame?[inj.Frames.Length];
        int left = inj.Frames.Length;
        if (left == 0) { replyTo.Tell(new InjectFramesReply(_node, Array.Empty<InjectedFrame>())); return; }
        for (int i = 0; i < inj.Frames.Length; i++)
        {
            int index = i;
            var trace = new PacketTrace();
            _dp.Receive(Packet.From(inj.Frames[i], inj.InPort), trace, t =>
            {
                var ct = t!.Ct.Count > 0 ? t.Ct[^1] : null;
                results[index] = new InjectedFrame(index + 1, ct?.State ?? 0, ct?.Zone ?? 0, ct?.Mark ?? 0, t.Outputs.ToArray(), t.DropReason);
                if (--left == 0) replyTo.Tell(new InjectFramesReply(_node, results!));
            });
        }
    }
}
