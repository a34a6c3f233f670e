using Switch.Contracts;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Datapath;
using Switch.Contracts.Cluster;
using Switch.Contracts.Control;
using Switch.Node.Cluster;
using Switch.Node.Tracing;
using AkkaMemberStatus = Akka.Cluster.MemberStatus;
using MemberStatus = Switch.Contracts.Control.MemberStatus;

namespace Switch.Node.Control;

/// <summary>
/// The control API of a cluster member: flow changes go to the flow-manager singleton (one order cluster-wide,
/// answered once every member runs them); conntrack dumps and flushes fan out to every member's shard region;
/// packet-out enters the named member's datapath.
/// </summary>
public sealed class ClusterSwitchControl : ISwitchControl, IConntrackStream
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly ClusterNode _node;
    private readonly IReadOnlyList<Core.Ports.IPort> _ports;

    public ClusterSwitchControl(ClusterNode node, IReadOnlyList<Core.Ports.IPort>? ports = null)
    {
        _node = node;
        _ports = ports ?? Array.Empty<Core.Ports.IPort>();
    }

    /// <summary>This member's configured ports; their counters are updated by the port threads and the datapath actor.</summary>
    public Task<PortsStatus> PortsAsync(CancellationToken ct = default) =>
        Task.FromResult(new PortsStatus(_node.Options.Name, _ports.OrderBy(p => p.Number).Select(PortTable.Status).ToList()));

    private ActorSystem System => _node.System;

    public Task<FlowModResult> AddFlowsAsync(AddFlowsRequest request, CancellationToken ct = default) =>
        Command(new FlowCommand(FlowCommandKind.Add, request.Flows.ToArray(), false), ct);

    public Task<FlowModResult> ModFlowsAsync(ModFlowsRequest request, CancellationToken ct = default) =>
        Command(new FlowCommand(FlowCommandKind.Modify, new[] { request.Flow }, request.Strict), ct);

    public Task<FlowModResult> DelFlowsAsync(DelFlowsRequest request, CancellationToken ct = default) =>
        Command(new FlowCommand(FlowCommandKind.Delete, string.IsNullOrWhiteSpace(request.Match) ? Array.Empty<string>() : new[] { request.Match }, request.Strict), ct);

    private async Task<FlowModResult> Command(FlowCommand cmd, CancellationToken ct)
    {
        if (cmd.Kind == FlowCommandKind.Add && cmd.Lines.Length == 0) throw new ControlException(400, "no flows given");
        FlowCommandResult r;
        try { r = await FlowCommandClient.SendAsync(System, _node.FlowManagerProxy, cmd, cmd.Lines.Length > 1000 ? Timeout * 6 : Timeout, ct); }
        catch (AskTimeoutException) { throw new ControlException(503, "the cluster's flow manager did not answer (is a majority of the cluster up?)"); }
        if (r.Error is null) return new FlowModResult(r.Affected, r.Version);
        // Replication problems are the cluster's, not the request's.
        throw new ControlException(r.Error.StartsWith("flow change", StringComparison.Ordinal) ? 503 : 400, r.Error);
    }

    public async Task<IReadOnlyList<string>> DumpFlowsAsync(string? match, CancellationToken ct = default)
    {
        var r = await _node.Datapath.Ask<DumpFlowsReply>(new DumpFlows(match), Timeout, ct);
        if (r.Error is not null) throw new ControlException(400, r.Error);
        return r.Lines;
    }

    private IEnumerable<Member> UpMembers() => _node.Cluster.State.Members.Where(m => m.Status == AkkaMemberStatus.Up);

    /// <summary>Every member's dump, as its pages arrive (the filter applied at the member); unordered across members.</summary>
    public async IAsyncEnumerable<string> StreamConntrackAsync(ushort? zone, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var member in UpMembers().ToList())
        {
            long request = Random.Shared.NextInt64(1, long.MaxValue);
            var inbox = Inbox.Create(System);
            try
            {
                DatapathOf(member).Tell(new DumpMemberConntrack(request, zone), inbox.Receiver);
                while (true)
                {
                    ct.ThrowIfCancellationRequested();
                    object? got;
                    try { got = await inbox.ReceiveAsync(Timeout); }
                    catch (TimeoutException) { got = null; }
                    if (got is not ConntrackPage page || page.Request != request)
                        throw new ControlException(503, $"member {member.Address} did not answer the conntrack dump");
                    if (page.Error is not null) throw new ControlException(503, $"member {member.Address} could not finish its conntrack dump: {page.Error}");
                    foreach (var line in page.Lines) yield return line;
                    if (!page.More) break;
                    System.ActorSelection(page.AckTo).Tell(new ConntrackPageAck(request), inbox.Receiver);
                }
            }
            finally { inbox.Dispose(); }
        }
    }

    public async Task<IReadOnlyList<string>> DumpConntrackAsync(ushort? zone, CancellationToken ct = default)
    {
        var lines = new List<string>();
        await foreach (var line in StreamConntrackAsync(zone, ct)) lines.Add(line);
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    public async Task<FlushConntrackResult> FlushConntrackAsync(FlushConntrackRequest request, CancellationToken ct = default)
    {
        if (!string.IsNullOrWhiteSpace(request.Tuple)) Control.ControlInput.Tuple(request.Tuple); // bad text: 400 before anything changes
        var tuple = string.IsNullOrWhiteSpace(request.Tuple) ? null : request.Tuple;
        var replies = await Task.WhenAll(UpMembers().Select(async m =>
        {
            try { return await DatapathOf(m).Ask<FlushEntityReply>(new FlushMemberConntrack(request.Zone, tuple), TimeSpan.FromSeconds(120), ct); }
            catch (AskTimeoutException) { throw new ControlException(503, $"member {m.Address} did not answer the flush"); }
        }));
        return new FlushConntrackResult(replies.Sum(r => r.Removed));
    }

    public async Task<string> TraceAsync(TraceRequest request, CancellationToken ct = default)
    {
        var sel = FlowRequestText.Parse(request.Packet, FlowTextMode.Select, "packet description");
        var lines = await DumpFlowsAsync(null, ct);
        // The trace runs on copies of this member's flows with a conntrack of its own: it changes nothing.
        var flows = lines.Select(l => FlowParser.Parse(l)).ToList();
        return PacketTracer.Trace(flows, sel.Match);
    }

    public async Task<PacketOutResult> PacketOutAsync(PacketOutRequest request, CancellationToken ct = default)
    {
        if (request.InPort == 0 || (request.InPort >= OfPorts.Max && request.InPort != OfPorts.Local))
            throw new ControlException(400, $"in_port: expected a port 1-{OfPorts.Max - 1} or LOCAL, got {request.InPort}");
        if (request.PacketsHex.Count == 0) throw new ControlException(400, "no packets given");
        var frames = request.PacketsHex.Select((h, i) => HexFrame.Parse(h, $"packet {i + 1}")).ToArray();
        IActorRef target = _node.Datapath;
        if (request.Node is { Length: > 0 } name && name != _node.Options.Name)
        {
            var infos = await NodeInfos(ct);
            var hit = infos.FirstOrDefault(i => i.Info?.Name == name);
            if (hit.Info is null) throw new ControlException(404, $"no cluster member named '{name}' (members: {string.Join(", ", infos.Select(i => i.Info?.Name ?? i.Member.Address.ToString()))})");
            target = await DatapathOf(hit.Member).ResolveOne(TimeSpan.FromSeconds(5), ct);
        }
        // A capture can be large and a durable cluster slow to commit: packet-out waits for every frame. The frames
        // travel in parts (remoting's frame size), in order; each part's answers are numbered on from the last.
        var answers = new List<PacketOutFrame>(frames.Length);
        string node = "";
        foreach (var part in ClusterLimits.Parts(frames, f => f.Length))
        {
            var r = await target.Ask<InjectFramesReply>(new InjectFrames(request.InPort, part), TimeSpan.FromSeconds(120), ct);
            node = r.Node;
            int offset = answers.Count;
            answers.AddRange(r.Frames.Select(f => new PacketOutFrame(offset + f.Index, CtStateBits.Format(f.CtState), f.CtZone, f.CtMark,
                f.Outputs.Distinct().ToList(), f.Outputs.Length > 0 ? null : f.Drop ?? (f.CtState == 0 ? LocalSwitchControl.HeldForReassembly : null))));
        }
        return new PacketOutResult(node, answers);
    }

    private ActorSelection DatapathOf(Member m) => System.ActorSelection(new RootActorPath(m.Address) / "user" / DatapathActor.Name);

    private async Task<List<(Member Member, NodeInfo? Info)>> NodeInfos(CancellationToken ct)
    {
        var list = new List<(Member, NodeInfo?)>();
        foreach (var m in UpMembers())
        {
            try { list.Add((m, await DatapathOf(m).Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(5), ct))); }
            catch (AskTimeoutException) { list.Add((m, null)); }
        }
        return list;
    }

    public async Task<ClusterStatus> ClusterAsync(CancellationToken ct = default)
    {
        var state = _node.Cluster.State;
        var infos = (await NodeInfos(ct)).ToDictionary(i => i.Member.Address, i => i.Info);
        // Counted at each member: a number per member crosses the network, never its entity ids.
        var counts = new Dictionary<Address, MemberCounts>();
        foreach (var m in UpMembers())
        {
            try { counts[m.Address] = await DatapathOf(m).Ask<MemberCounts>(new GetMemberCounts(), TimeSpan.FromSeconds(10), ct); }
            catch (AskTimeoutException) { throw new ControlException(503, $"member {m.Address} did not answer"); }
        }
        var members = new List<MemberStatus>();
        foreach (var m in state.Members)
        {
            infos.TryGetValue(m.Address, out var info);
            counts.TryGetValue(m.Address, out var c);
            members.Add(new MemberStatus(info?.Name ?? "?", m.Address.ToString(), m.Status.ToString(), m.Roles.ToList(),
                info?.ApiUrl ?? "", c?.Shards ?? 0, c?.Connections ?? 0, m.Address.Equals(_node.Cluster.SelfAddress), info?.LeasesHeld ?? 0,
                c?.ReplicaRecords ?? 0, c?.CopiesPending ?? 0, c?.Placement));
        }
        return new ClusterStatus(state.Leader?.ToString() ?? "", members);
    }

    /// <summary>The status page's picture: every member the cluster state knows, with what it answers within 2 s
    /// (a dead or unreachable member is reported as not answering, never an error).</summary>
    public async Task<StatusReport> StatusAsync(CancellationToken ct = default)
    {
        var state = _node.Cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var ask = TimeSpan.FromSeconds(2);
        async Task<MemberReport> One(Member m)
        {
            bool self = m.Address.Equals(_node.Cluster.SelfAddress), reachable = !unreachable.Contains(m.Address);
            NodeInfo? info = null; MemberCounts? counts = null; MemberDrops? drops = null;
            if (reachable && m.Status == AkkaMemberStatus.Up)
            {
                var dp = DatapathOf(m);
                try
                {
                    var i = dp.Ask<NodeInfo>(new GetNodeInfo(), ask, ct);
                    var c = dp.Ask<MemberCounts>(new GetMemberCounts(), ask, ct);
                    var d = dp.Ask<MemberDrops>(new GetMemberDrops(), ask, ct);
                    await Task.WhenAll(i, c, d);
                    (info, counts, drops) = (i.Result, c.Result, d.Result);
                }
                catch (Exception e) when (e is AskTimeoutException or TaskCanceledException && !ct.IsCancellationRequested) { }
            }
            var dropMap = drops is null ? new Dictionary<string, long>()
                : drops.Reasons.Zip(drops.Counts).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);
            if (info is not null) lock (_names) _names[m.Address] = info.Name;
            string name = info?.Name ?? (self ? _node.Options.Name : NameOf(m));
            return new MemberReport(name, m.Address.ToString(), m.Status.ToString(), reachable, self, info is not null,
                counts?.Shards ?? 0, counts?.Connections ?? 0, info?.LeasesHeld ?? 0, info?.CtQueries ?? 0, info?.CtLocal ?? 0,
                info?.CtTimeouts ?? 0, counts?.Refused ?? 0, dropMap);
        }
        var members = (await Task.WhenAll(state.Members.Select(One))).ToList();
        // Members this node reported before that are no longer in the cluster (downed, or left): shown as removed for
        // an hour, so a page opened after a failure still says which member was lost.
        lock (_names)
        {
            var now = DateTime.UtcNow;
            foreach (var m in state.Members) _seen[m.Address] = now;
            foreach (var (a, last) in _seen.ToList())
            {
                if (state.Members.Any(m => m.Address.Equals(a))) continue;
                if (now - last > TimeSpan.FromHours(1)) { _seen.Remove(a); continue; }
                members.Add(new MemberReport(_names.GetValueOrDefault(a, a.ToString()), a.ToString(), "Removed", false, false, false,
                    0, 0, 0, 0, 0, 0, 0, new Dictionary<string, long>()));
            }
        }
        var flows = await DumpFlowsAsync(null, ct);
        var js = JournalStats.Get(System);
        JournalReport? journal = _node.Options.Persistence is null ? null
            : new JournalReport(js.Writes, js.Writes == 0 ? 0 : js.TotalSeconds / js.Writes, js.MaxSeconds);
        return new StatusReport(_node.Options.Name, true, state.Leader?.ToString() ?? "", StatusReports.NowUnixMs(),
            members.OrderBy(m => m.Name, StringComparer.Ordinal).ToList(), flows.Count, StatusReports.TopFlows(flows), journal);
    }

    /// <summary>A member that has not answered yet: the name it answered before, or its address.</summary>
    private readonly Dictionary<Address, string> _names = new();
    private readonly Dictionary<Address, DateTime> _seen = new();
    private string NameOf(Member m)
    {
        lock (_names) return _names.TryGetValue(m.Address, out var n) ? n : m.Address.ToString();
    }
}
