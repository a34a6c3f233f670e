namespace Switch.Node.Cluster;

/// <summary>How one cluster node is placed: its name, Akka remoting endpoint, seeds, shard count, control URL.</summary>
public sealed record ClusterNodeOptions
{
    public string Name { get; init; } = "n1";
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Akka remoting port (0 = any free port).</summary>
    public int Port { get; init; } = 4053;
    /// <summary>Akka addresses of seed nodes, e.g. akka.ssl.tcp://dswitch@127.0.0.1:4053. Empty: this node seeds itself.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = Array.Empty<string>();
    /// <summary>Shards of the conntrack region: about ten per node of the largest cluster; fixed for the cluster's life.</summary>
    public int Shards { get; init; } = 30;
    /// <summary>Lend connections to the node their packets enter (docs/fast-path.md).</summary>
    public bool FastPath { get; init; } = true;
    /// <summary>Copies of conntrack state in the cluster (owner + R−1 replicas, hot in memory); 1: none. With a journal
    /// and R ≥ 2 the journal is written behind the replicas (one row per connection, group commit); with R = 1 it is the
    /// per-connection event journal the replicas replaced (each entity a persistent actor).</summary>
    public int Replicas { get; init; } = 2;
    /// <summary>Replicas in effect (at least 1).</summary>
    public int EffectiveReplicas => Math.Max(1, Replicas);
    /// <summary>Conntrack entities journal themselves (a journal with R = 1): the older, slower model.</summary>
    public bool EntityJournal => Persistence is not null && EffectiveReplicas == 1;
    /// <summary>Down a member at once when its remoting port refuses connections (its process is gone; see
    /// <see cref="CrashDetector"/>), instead of after failure detection and stable-after.</summary>
    public bool DownCrashed { get; init; } = true;
    public string ApiUrl { get; init; } = "";
    /// <summary>Split-brain resolver: how long membership must be stable before a side is downed.</summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Where conntrack state and the flow table are journaled (for a whole-cluster restart); null: memory only
    /// (the replicas carry state across a member's loss; nothing is written to disk).</summary>
    public PersistenceOptions? Persistence { get; init; }
    /// <summary>How long connection entities wait before they passivate or take a holder for dead.</summary>
    public Switch.Actors.Cluster.EntityTimings EntityTimings { get; init; } = Switch.Actors.Cluster.EntityTimings.Default;
    public const string SystemName = "dswitch";
    /// <summary>Remoting's scheme: always TLS (DotNetty with mutual authentication).</summary>
    public const string Scheme = "akka.ssl.tcp";
    /// <summary>What this member presents and trusts: remoting requires the peer's certificate from the same CA bundle.</summary>
    public required Switch.Node.Security.NodeSecurity Security { get; init; }
    /// <summary>Akka's log level on stderr (WARNING for a node; the local replay cluster runs quiet).</summary>
    public string LogLevel { get; init; } = "WARNING";
    /// <summary>When set, the node forms or joins the cluster by Akka.Management bootstrap and <see cref="Seeds"/> is ignored.</summary>
    public ClusterBootstrapOptions? Bootstrap { get; init; }
}

/// <summary>The journal and snapshot store: Akka.Persistence.Sql over SQLite (one host) or PostgreSQL.</summary>
public sealed record PersistenceOptions(string Provider, string ConnectionString)
{
    public const string Sqlite = "sqlite", Postgres = "postgres";

    /// <summary>linq2db's provider name for the journal plugin.</summary>
    public string ProviderName => Provider switch
    {
        Sqlite => "SQLite.MS",
        Postgres => "PostgreSQL.15",
        _ => throw new ArgumentException($"persistence provider must be '{Sqlite}' or '{Postgres}', got '{Provider}'"),
    };
}
