namespace Switch.Node.Cluster;

/// <summary>
/// Cluster formation by Akka.Management cluster bootstrap instead of static seeds: every node serves the
/// management HTTP endpoint, discovers its peers' endpoints, and the node with the lowest address starts the
/// cluster once <see cref="RequiredContactPoints"/> peers have been seen, stable, for the stable margin.
/// No static seeds, so the split-brain resolver cannot down "the seed" and leave a second cluster behind.
/// </summary>
public sealed record ClusterBootstrapOptions
{
    public const string KubernetesApi = "kubernetes-api";
    public const string ConfigMethod = "config";

    /// <summary><c>kubernetes-api</c> (pod list of the API server, by label) or <c>config</c> (the <see cref="Endpoints"/> list).</summary>
    public string Method { get; init; } = KubernetesApi;
    /// <summary>The service looked up; with kubernetes-api it fills the label selector's <c>{0}</c>.</summary>
    public string ServiceName { get; init; } = "dswitch";
    /// <summary>Name of the container port the management endpoint listens on.</summary>
    public string PortName { get; init; } = "management";
    /// <summary>Host the management endpoint advertises and binds to.</summary>
    public string ManagementHost { get; init; } = "127.0.0.1";
    public int ManagementPort { get; init; } = 8558;
    /// <summary>
    /// Contact points (this node included) that must be discovered, and all probed without finding a cluster, before
    /// the lowest-addressed of them forms a new cluster: the minimum size a cluster starts with, not the number of
    /// hosts. Every other node joins the seed nodes a contact point reports, so hosts beyond this number (a DaemonSet
    /// on more nodes, pods that start late) join the cluster already formed. Two clusters could form on a cold
    /// start only from two disjoint sets of at least this many nodes that each see only themselves (discovery
    /// answering inconsistently); a number above half the hosts rules that out, at the price of waiting for that
    /// many. 2 is Akka.Management's default.
    /// </summary>
    public int RequiredContactPoints { get; init; } = 2;
    /// <summary>How long the observed peers must stay the same before a join decision.</summary>
    public TimeSpan StableMargin { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>kubernetes-api: the pod label selector (<c>{0}</c> = service name).</summary>
    public string LabelSelector { get; init; } = "app={0}";
    /// <summary>kubernetes-api: namespace to list pods in; null reads the service account's namespace file.</summary>
    public string? Namespace { get; init; }
    /// <summary>kubernetes-api: environment variables holding the API server's host and port (tests point them elsewhere).</summary>
    public string ApiHostEnv { get; init; } = "KUBERNETES_SERVICE_HOST";
    public string ApiPortEnv { get; init; } = "KUBERNETES_SERVICE_PORT";
    /// <summary>kubernetes-api: the service-account token and CA files.</summary>
    public string TokenPath { get; init; } = "/var/run/secrets/kubernetes.io/serviceaccount/token";
    public string CaPath { get; init; } = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
    /// <summary>config: the management endpoints (HOST:PORT) of the nodes.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = Array.Empty<string>();
}
