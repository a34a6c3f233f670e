using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Actor.Setup;
using Akka.Event;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using Switch.Actors.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Ports;
using Switch.Contracts;

namespace Switch.Node.Cluster;

/// <summary>
/// One DistSwitch cluster member: an ActorSystem with remoting and clustering (split-brain resolver,
/// keep-majority), the sharded conntrack region (connection and reassembly entities), the flow-manager
/// singleton, and this node's datapath actor. Remoting is mutual TLS; Hyperion serializes and accepts DistSwitch's own message types only.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    public const string RegionName = ConntrackRegion.Name;

    public ActorSystem System { get; }
    public IActorRef Region { get; }
    public IActorRef FlowManagerProxy { get; }
    public IActorRef Datapath { get; }
    public ClusterNodeOptions Options { get; }
    /// <summary>The conntrack settings this member's entities and datapath run with.</summary>
    public ConntrackSettings Conntrack { get; }
    public Akka.Cluster.Cluster Cluster => Akka.Cluster.Cluster.Get(System);

    public ClusterNode(ClusterNodeOptions o, IEnumerable<IPort>? ports = null, IClock? clock = null, ConntrackSettings? ct = null)
    {
        Options = o;
        if (o.Persistence is { Provider: PersistenceOptions.Sqlite } p) PrepareSqlite(p.ConnectionString);
        System = ActorSystem.Create(ClusterNodeOptions.SystemName, Setup(o));
        clock ??= SystemClock.Instance;
        ct ??= ConntrackSettings.Default;
        Conntrack = ct;
        var c = clock; var s = ct;
        // Before the node joins: members add expectation keys to this node's index as soon as it is Up.
        ExpectIndexProvider.UseClock(System, clock);
        ExpectIndex.Get(System);
        // Before the region: its relays and entities replicate through this member's store from their first message.
        Replication.Get(System).Start(System, o.EffectiveReplicas,
            o.Persistence is { } journal && o.EffectiveReplicas > 1 ? SqlStateJournal.Create(journal) : null);
        if (Replication.Get(System).Journaled)
            // A graceful stop writes what the journal still owes once the region has handed its shards off.
            CoordinatedShutdown.Get(System).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "flush-conntrack-journal", async () =>
            {
                try { await Replication.Get(System).Store!.Ask<JournalFlushed>(FlushJournal.Instance, TimeSpan.FromSeconds(5)); }
                catch (Exception) { /* the journal did not answer: the store logs the rows it could not write */ }
                return Akka.Done.Instance;
            });
        Region = ClusterSharding.Get(System).Start(RegionName,
            entityId => ConntrackRegion.EntityProps(entityId, c, s, o.EntityJournal, o.EntityTimings),
            ClusterShardingSettings.Create(System), new ConntrackMessageExtractor(o.Shards),
            new ReplicaAllocationStrategy(System, rebalance: o.EffectiveReplicas > 1), PoisonPill.Instance);
        System.ActorOf(ClusterSingletonManager.Props(FlowManager.Props(o.Persistence is not null), PoisonPill.Instance,
            ClusterSingletonManagerSettings.Create(System)), "flow-manager");
        FlowManagerProxy = System.ActorOf(ClusterSingletonProxy.Props("/user/flow-manager",
            ClusterSingletonProxySettings.Create(System)), DatapathActor.FlowManagerProxyName);
        Datapath = System.ActorOf(DatapathActor.Props(o.Name, o.ApiUrl, clock, ports ?? Array.Empty<IPort>(), RegionName, o.Shards,
            o.EntityJournal ? TimeSpan.FromSeconds(30) : TimeSpan.FromSeconds(5), s, o.FastPath,
            o.Persistence is not null || o.EffectiveReplicas > 1), DatapathActor.Name);
        if (o.DownCrashed) System.ActorOf(CrashDetector.Props(), CrashDetector.Name);
        Bootstrap = ClusterNodeBootstrap.StartAsync(System, o);
    }

    /// <summary>Akka.Management and cluster bootstrap starting (completed at once without bootstrap).</summary>
    public Task Bootstrap { get; }

    public string Address => Cluster.SelfAddress.ToString();

    /// <summary>Several processes share one SQLite file on a one-host cluster: write-ahead logging lets readers and the
    /// writer proceed together (the driver's busy timeout covers writer turns).</summary>
    private static void PrepareSqlite(string connectionString)
    {
        using var conn = new Microsoft.Data.Sqlite.SqliteConnection(connectionString);
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode=WAL;";
        cmd.ExecuteNonQuery();
    }

    private static string PersistenceHocon(PersistenceOptions? p)
    {
        if (p is null) return """
            akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """;
        string cs = p.ConnectionString.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return $$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql { connection-string = "{{cs}}", provider-name = "{{p.ProviderName}}", auto-initialize = true }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql { connection-string = "{{cs}}", provider-name = "{{p.ProviderName}}", auto-initialize = true }
              }
            }
            """;
    }

    /// <summary>The member's ActorSystem set-up: <see cref="Hocon"/> and remoting's TLS. Every connection, in and out,
    /// is mutual TLS: the peer must present a certificate chaining to this member's CA bundle (hostnames are not checked:
    /// members dial each other by pod or host IP; the CA is the identity), or the handshake fails and no message passes.</summary>
    public static ActorSystemSetup Setup(ClusterNodeOptions o)
    {
        var trust = o.Security.Credentials.Trust;
        var ssl = new DotNettySslSetup(o.Security.Credentials.Certificate, suppressValidation: false,
            requireMutualAuthentication: true, validateCertificateHostname: false,
            customValidator: (cert, _, peer, _, log) =>
            {
                if (trust.Why(cert) is not { } why) return true;
                log.Warning("remoting: refused {0}: {1}", peer, why);
                return false;
            });
        return BootstrapSetup.Create().WithConfig(Hocon(o)).And(ssl);
    }

    public static Config Hocon(ClusterNodeOptions o)
    {
        var seeds = o.Seeds.Count == 0 ? $"\"{ClusterNodeOptions.Scheme}://{ClusterNodeOptions.SystemName}@{o.Host}:{o.Port}\"" : string.Join(",", o.Seeds.Select(x => $"\"{x}\""));
        return ClusterNodeBootstrap.Config(o).WithFallback(ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{o.LogLevel}}
              stdout-loglevel = OFF
              loggers = ["Switch.Actors.Cluster.StderrLogger, Switch.Actors"]
              actor {
                provider = cluster
                serializers { hyperion = "Switch.Actors.Cluster.WireSerializer, Switch.Actors" }
                serializers.json-events = "Switch.Actors.Cluster.JsonEventSerializer, Switch.Actors"
                serialization-bindings {
                  "Switch.Contracts.Cluster.IClusterMessage, Switch.Contracts" = hyperion
                  "Switch.Contracts.Cluster.IDurableEvent, Switch.Contracts" = json-events
                }
              }
              # Frames up to ClusterLimits.FrameBytes; senders cut batches and lists into parts well below it (remoting
              # drops a larger message with a log line only).
              remote.dot-netty.tcp {
                hostname = "{{o.Host}}", port = {{o.Port}}
                enable-ssl = true
                maximum-frame-size = {{Switch.Contracts.Cluster.ClusterLimits.FrameBytes}}b
                send-buffer-size = {{2 * Switch.Contracts.Cluster.ClusterLimits.FrameBytes}}b
                receive-buffer-size = {{2 * Switch.Contracts.Cluster.ClusterLimits.FrameBytes}}b
              }
              cluster {
                seed-nodes = [{{seeds}}]
                roles = [switch]
                min-nr-of-members = 1
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                # Failover in seconds: a member whose process died is downed at once (CrashDetector: its port
                # refuses connections); one that falls silent otherwise (a host lost, a partition, a pause) is
                # unreachable after ~2 s and SBR downs it once membership has been stable for stable-after. The
                # leader removes a downed member once it is unreachable (every 0.25 s). Shorter stable-after re-homes
                # sooner but downs healthy nodes on long pauses; conntrack state is replicated, so a member downed by
                # mistake restarts and loses nothing.
                # Unreachable is an observation, not a decision: after about 2 s without heartbeats (sent every 0.5 s).
                # Downing still waits for stable-after (the split-brain resolver), or for proof that the process is
                # gone (CrashDetector: its port refuses connections), so a pause up to about 4 s downs nobody.
                failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 1500ms, threshold = 8.0 }
                unreachable-nodes-reaper-interval = 250ms
                leader-actions-interval = 250ms
                gossip-interval = 500ms
                # After a member is downed its shards start elsewhere after this margin (off: stable-after again, as a
                # journaled cluster keeps, its isolated side may still write the journal). Short with replicas, because the side without a majority stops accepting conntrack changes as soon as it
                # sees the others unreachable (ReplicaStore: no answer without a majority), and downs itself after
                # stable-after: the other side never takes over a shard whose old owner still commits.
                down-removal-margin = {{(o.EffectiveReplicas > 1 ? "500ms" : "off")}}
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{(int)o.StableAfter.TotalSeconds}}s
                  down-all-when-unstable = on
                }
                sharding {
                  state-store-mode = ddata
                  # Entity journal (R = 1): remembered entities restart on the node that takes their shard over, so timers of
                  # committed connections keep running after a failover without waiting for traffic.
                  remember-entities = {{(o.EntityJournal ? "on" : "off")}}
                  remember-entities-store = eventsourced
                  passivate-idle-entity-after = off
                  # Allocation and rebalancing: ReplicaAllocationStrategy (a shard lives on the member that ranks highest
                  # for it, so after a loss it lands on its first replica; a joining member takes shards only once it
                  # has had time to receive their copies, two at a time).
                }
                singleton.min-number-of-hand-over-retries = 5
              }
              coordinated-shutdown.exit-clr = off
            }
            """)).WithFallback(ConfigurationFactory.ParseString(PersistenceHocon(o.Persistence)))
            .WithFallback(ClusterSharding.DefaultConfig()).WithFallback(ClusterSingleton.DefaultConfig())
            .WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    public async ValueTask DisposeAsync()
    {
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClrExitReason.Instance);
    }
}
