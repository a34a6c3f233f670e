namespace Switch.Node;

/// <summary>
/// The "bootstrap" part of a node config's cluster section: form the cluster with Akka.Management cluster bootstrap
/// instead of seeds. On Kubernetes, <c>"method":"kubernetes-api"</c> lists the pods labelled
/// <c>labelSelector</c>; on one host, <c>"method":"config"</c> reads <c>endpoints</c>.
/// <code>"bootstrap":{"method":"kubernetes-api","serviceName":"dswitch","requiredContactPoints":2,"managementPort":8558}</code>
/// </summary>
public sealed record NodeConfigBootstrap
{
    public string Method { get; init; } = "kubernetes-api";
    public string ServiceName { get; init; } = "dswitch";
    public string PortName { get; init; } = "management";
    /// <summary>Host the management endpoint binds and advertises; empty means the cluster host.</summary>
    public string ManagementHost { get; init; } = "";
    public int ManagementPort { get; init; } = 8558;
    /// <summary>The minimum cluster size bootstrap forms (see <see cref="Cluster.ClusterBootstrapOptions.RequiredContactPoints"/>).</summary>
    public int RequiredContactPoints { get; init; } = 2;
    public int StableMarginSeconds { get; init; } = 5;
    public string LabelSelector { get; init; } = "app={0}";
    public string? Namespace { get; init; }
    /// <summary>config method: the management endpoints (HOST:PORT) of every node.</summary>
    public List<string> Endpoints { get; init; } = new();
}
