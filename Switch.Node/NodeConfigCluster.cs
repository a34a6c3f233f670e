namespace Switch.Node;

/// <summary>
/// The "cluster" section of a node config: present, the node joins an Akka.NET cluster and conntrack is sharded
/// across its members. <code>"cluster":{"host":"127.0.0.1","port":4053,"seeds":["akka.ssl.tcp://dswitch@127.0.0.1:4053"],"shards":30}</code>
/// </summary>
public sealed record NodeConfigCluster
{
    /// <summary>Address other members reach this node's Akka remoting on; <c>$NAME</c> reads environment variable
    /// NAME (on Kubernetes <c>$POD_IP</c>, from the downward API).</summary>
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 4053;
    /// <summary>Seed nodes (akka.ssl.tcp://dswitch@HOST:PORT); empty means this node starts the cluster.</summary>
    public List<string> Seeds { get; init; } = new();
    /// <summary>Conntrack shards: about ten per node of the largest cluster; the same on every member, fixed for the cluster's life.</summary>
    public int Shards { get; init; } = 30;
    /// <summary>Split-brain resolver stable-after, seconds (shorter re-homes sooner, downs more on pauses).</summary>
    public int StableAfterSeconds { get; init; } = 2;
    /// <summary>The fast path (docs/fast-path.md): a connection whose packets enter one node is decided there under a
    /// lease from its entity. false sends every packet to its entity (the behaviour before the fast path).</summary>
    public bool FastPath { get; init; } = true;
    /// <summary>Copies of every committed connection and expectation, on as many members (the owner and R−1 replicas);
    /// 1 turns replication off (a dead member's connections are then lost, unless a journal is configured).</summary>
    public int Replicas { get; init; } = 2;
    /// <summary>Down a member as soon as its remoting port refuses connections twice (its process is gone: a crash or a
    /// SIGKILL on a host that still answers), without waiting for failure detection and stable-after. Only a side with
    /// a majority downs. false leaves every downing to the split-brain resolver.</summary>
    public bool DownCrashed { get; init; } = true;
    /// <summary>When present, the cluster forms by Akka.Management bootstrap and <see cref="Seeds"/> must be empty.</summary>
    public NodeConfigBootstrap? Bootstrap { get; init; }

    /// <summary>The host with a <c>$NAME</c> environment reference resolved.</summary>
    public string ResolvedHost() => NodeConfig.FromEnvironment(Host, "config", "cluster.host");
}
