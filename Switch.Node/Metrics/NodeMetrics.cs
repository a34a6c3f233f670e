using Akka.Actor;
using Akka.Cluster.Sharding;
using Prometheus;
using Switch.Actors.Cluster;
using Switch.Node.Cluster;

namespace Switch.Node.Metrics;

/// <summary>
/// A node's Prometheus metrics, in a registry of its own (several nodes can share a process in tests): a cluster
/// member's, or the single node's of <c>dswitch run</c> without a cluster section, under the same names. Nothing on
/// the packet path touches them: each scrape copies the datapath's counters (inside its actor on a cluster member,
/// under the control's lock on a single node), then sets the collectors. On a cluster member, conntrack entries,
/// expectations and reassemblies are counted from the entity ids this node hosts (<c>c/{zone}/…</c>, <c>e/…</c>,
/// <c>f/…</c>): an entity exists while it holds state; on a single node they are the in-process engine's. Shards,
/// entities and the journal exist only on a cluster member, so only it exports them.
/// </summary>
public sealed class NodeMetrics
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);
    private readonly ClusterNode? _node;
    private readonly Func<LocalNodeStats>? _local;
    private readonly Counter _portPackets, _drops, _ctEarlyDrops, _ctTableRefused, _ctDecisions, _ctQueries, _ctTimeouts, _ctRefused, _toController, _ctLocal;
    private readonly Counter? _journalWrites, _journalSeconds;
    private readonly Gauge? _journalMax, _shards, _entities;
    private readonly Gauge _ctPending, _ctEntries, _ctMax, _expectations, _reassembly, _members, _leases;
    private readonly HashSet<string> _zonesSeen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _statusesSeen = new(StringComparer.Ordinal);

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();
    private Counter? _apiDenied;
    private Control.ApiGuard? _guard;

    /// <summary>Exports the control API's denials (<c>dswitch_api_denied_total{reason}</c>).</summary>
    public void Watch(Control.ApiGuard guard)
    {
        _guard = guard;
        _apiDenied = Prometheus.Metrics.WithCustomRegistry(Registry).CreateCounter("dswitch_api_denied_total",
            "Control API requests refused: unauthenticated (401, no or unknown token) or forbidden (403, the token lacks the role).", "reason");
        foreach (var r in new[] { Control.ApiGuard.Unauthenticated, Control.ApiGuard.Forbidden }) _apiDenied.WithLabels(r);
    }

    /// <summary>A cluster member's metrics.</summary>
    public NodeMetrics(ClusterNode node) : this(node, null, node.Conntrack.MaxConnections) { }

    /// <summary>The single node's metrics (<c>dswitch run</c> without a cluster section).</summary>
    /// <param name="stats">A copy of the single node's counters (LocalSwitchControl.Stats, under its lock).</param>
    /// <param name="maxConnections">Its conntrack table's limit.</param>
    public NodeMetrics(Func<LocalNodeStats> stats, int maxConnections) : this(null, stats, maxConnections) { }

    private NodeMetrics(ClusterNode? node, Func<LocalNodeStats>? local, int maxConnections = 0)
    {
        _node = node;
        _local = local;
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _portPackets = f.CreateCounter("dswitch_port_packets_total", "Packets per OpenFlow port and action (rx, tx, tx_dropped, dropped).", "port", "action");
        _drops = f.CreateCounter("dswitch_drops_total", "Packets dropped, by reason.", "reason");
        _ctDecisions = f.CreateCounter("dswitch_ct_decisions_total", "ct calls finished (answered, timed out or refused); rate() gives decisions per second.");
        _ctQueries = f.CreateCounter("dswitch_ct_queries_total", "ct calls sent to the conntrack entities.");
        _ctTimeouts = f.CreateCounter("dswitch_ct_timeouts_total", "ct calls dropped unanswered after the timeout.");
        _ctRefused = f.CreateCounter("dswitch_ct_refused_total", "ct calls refused because too many were in flight.");
        _toController = f.CreateCounter("dswitch_to_controller_total", "Packets sent to the controller port.");
        _ctPending = f.CreateGauge("dswitch_ct_pending", "ct calls in flight from this node.");
        _ctLocal = f.CreateCounter("dswitch_ct_local_decisions_total", "ct calls decided on this node under a lease from the connection's entity (the fast path).");
        _leases = f.CreateGauge("dswitch_ct_leases", "Connections lent to this node's datapath (decided here).");
        _ctEntries = f.CreateGauge("dswitch_conntrack_entries", "Connections tracked on this node (connection entities it hosts), per conntrack zone.", "zone");
        _ctMax = f.CreateGauge("dswitch_conntrack_max", "The conntrack table's limit (nf_conntrack_max; on a cluster member, the connections it may host).");
        _ctMax.Set(maxConnections);
        _expectations = f.CreateGauge("dswitch_conntrack_expectations", "Expectations held on this node (expectation entities it hosts).");
        _ctEarlyDrops = f.CreateCounter("dswitch_conntrack_early_drops_total", "Unassured connections evicted to make room for a new one (nf_conntrack early_drop).");
        _ctTableRefused = f.CreateCounter("dswitch_conntrack_refused_total", "New connections refused because the conntrack table (nf_conntrack_max, per member) or a zone limit was full; their packets were dropped.");
        _reassembly = f.CreateGauge("dswitch_reassembly_in_progress", "Datagrams being reassembled on this node.");
        _members = f.CreateGauge("dswitch_cluster_members", "Cluster members as this node sees them, by status (a single node: itself, up).", "status");
        if (node is not null)
        {
            _journalWrites = f.CreateCounter("dswitch_journal_writes_total", "Conntrack journal writes by this node's entities.");
            _journalSeconds = f.CreateCounter("dswitch_journal_write_seconds_total", "Time those writes took; divided by dswitch_journal_writes_total (rate over rate) it is the mean journal latency.");
            _journalMax = f.CreateGauge("dswitch_journal_write_seconds_max", "The slowest journal write since the node started.");
            _shards = f.CreateGauge("dswitch_cluster_shards", "Conntrack shards hosted on this node.");
            _entities = f.CreateGauge("dswitch_cluster_entities", "Conntrack entities of every kind hosted on this node.");
        }
        Registry.AddBeforeCollectCallback(CollectAsync);
    }

    private async Task CollectAsync(CancellationToken ct)
    {
        if (_guard is not null) foreach (var (reason, n) in _guard.Denied) _apiDenied!.WithLabels(reason).IncTo(n);
        if (_node is null)
        {
            var local = _local!();
            SetDatapath(local.Datapath);
            SetConntrack(local.EntriesByZone, local.Expectations, local.Reassembly);
            _ctEarlyDrops.IncTo(local.EarlyDrops);
            _ctTableRefused.IncTo(local.Refused);
            SetMembers(new Dictionary<string, int> { ["up"] = 1 });
            return;
        }
        SetDatapath(await _node.Datapath.Ask<DatapathStats>(GetDatapathStats.Instance, AskTimeout, ct));
        _journalWrites!.IncTo(JournalStats.Get(_node.System).Writes);
        _journalSeconds!.IncTo(JournalStats.Get(_node.System).TotalSeconds);
        _journalMax!.Set(JournalStats.Get(_node.System).MaxSeconds);

        var region = await _node.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, AskTimeout, ct);
        var zones = new Dictionary<string, int>(StringComparer.Ordinal);
        int expectations = 0, reassembly = 0, entities = 0;
        // Entities passivated with their state in memory (the fast path) are connections this node hosts too.
        var running = region.Shards.SelectMany(s => s.EntityIds).ToHashSet(StringComparer.Ordinal);
        var parked = ShardDirectory.Get(_node.System).HeldIds().Where(id => !running.Contains(id)).ToArray();
        foreach (var ids in new IEnumerable<string>[] { running, parked })
            foreach (var id in ids)
            {
                entities++;
                if (id.StartsWith(CtRouting.ConnectionPrefix, StringComparison.Ordinal))
                {
                    var zone = ZoneOf(id);
                    zones[zone] = zones.GetValueOrDefault(zone) + 1;
                }
                else if (id.StartsWith(ExpectWire.Prefix, StringComparison.Ordinal)) expectations++;
                else if (id.StartsWith(CtRouting.FragmentPrefix, StringComparison.Ordinal)) reassembly++;
            }
        SetConntrack(zones, expectations, reassembly);
        _ctTableRefused.IncTo(ShardDirectory.Get(_node.System).Refused);
        _shards!.Set(region.Shards.Count);
        _entities!.Set(entities);
        SetMembers(_node.Cluster.State.Members.GroupBy(m => m.Status.ToString().ToLowerInvariant()).ToDictionary(g => g.Key, g => g.Count()));
    }

    private void SetDatapath(DatapathStats stats)
    {
        foreach (var (port, action, n) in stats.PortPackets)
            _portPackets.WithLabels(Core.Datapath.OfPorts.Name(port), action).IncTo(n);
        foreach (var (reason, n) in stats.Drops) _drops.WithLabels(reason).IncTo(n);
        _ctDecisions.IncTo(stats.CtDecisions);
        _ctQueries.IncTo(stats.CtQueries);
        _ctTimeouts.IncTo(stats.CtTimeouts);
        _ctRefused.IncTo(stats.CtRefused);
        _toController.IncTo(stats.ToController);
        _ctPending.Set(stats.CtPending);
        _ctLocal.IncTo(stats.CtLocal);
        _leases.Set(stats.LeasesHeld);
    }

    /// <summary>Zones once seen stay exported (at 0 when empty), so a series does not vanish between scrapes.</summary>
    private void SetConntrack(IReadOnlyDictionary<string, int> zones, int expectations, int reassembly)
    {
        _zonesSeen.UnionWith(zones.Keys);
        foreach (var z in _zonesSeen) _ctEntries.WithLabels(z).Set(zones.GetValueOrDefault(z));
        _expectations.Set(expectations);
        _reassembly.Set(reassembly);
    }

    private void SetMembers(IReadOnlyDictionary<string, int> byStatus)
    {
        _statusesSeen.UnionWith(byStatus.Keys);
        foreach (var s in _statusesSeen) _members.WithLabels(s).Set(byStatus.GetValueOrDefault(s));
    }

    /// <summary>The zone of a connection entity id <c>c/{zone}/…</c>.</summary>
    private static string ZoneOf(string id)
    {
        int start = CtRouting.ConnectionPrefix.Length, end = id.IndexOf('/', start);
        return end < 0 ? "0" : id[start..end];
    }

    /// <summary>Writes the Prometheus text exposition (after collecting).</summary>
    public Task WriteAsync(Stream output, CancellationToken ct) => Registry.CollectAndExportAsTextAsync(output, ct);

    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
}
