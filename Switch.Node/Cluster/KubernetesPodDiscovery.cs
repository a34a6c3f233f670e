using System.Net;
using Akka.Actor;
using Akka.Discovery;
using Akka.Event;
using k8s;
using k8s.Authentication;
using k8s.Models;

namespace Switch.Node.Cluster;

/// <summary>
/// Akka.Discovery by the Kubernetes API: lists the pods of a namespace by label selector and answers each Running
/// pod's IP with its named container port (the management port). It reads Akka.Discovery.KubernetesApi's own
/// settings (<c>akka.discovery.kubernetes-api</c>) and replaces only its class: that package's 1.5.73 build was
/// compiled against KubernetesClient 17, the oldest one served is 19, and its pod-list call fails with
/// MissingMethodException (<c>V1PodList..ctor</c>). This calls the served KubernetesClient, trusting the
/// service account's CA file (not a kubeconfig) and sending its token.
/// </summary>
public sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    public const string ClassName = "Switch.Node.Cluster.KubernetesPodDiscovery, dswitch";
    private readonly ILoggingAdapter _log;
    private readonly Akka.Configuration.Config _config;
    private readonly Lazy<(Kubernetes? Client, string Host)> _client;

    public KubernetesPodDiscovery(ExtendedActorSystem system)
    {
        _log = Logging.GetLogger(system, this);
        _config = system.Settings.Config.GetConfig("akka.discovery.kubernetes-api");
        _client = new Lazy<(Kubernetes?, string)>(CreateClient);
    }

    private string Setting(string key, string fallback = "")
    {
        var v = _config.GetString(key, fallback);
        return string.IsNullOrWhiteSpace(v) || (v.StartsWith('<') && v.EndsWith('>')) ? fallback : v;
    }

    public string Namespace
    {
        get
        {
            var ns = Setting("pod-namespace");
            if (ns.Length > 0) return ns;
            var path = Setting("pod-namespace-path");
            return path.Length > 0 && File.Exists(path) ? File.ReadAllText(path).Trim() : "default";
        }
    }

    private (Kubernetes?, string) CreateClient()
    {
        var host = Environment.GetEnvironmentVariable(Setting("api-service-host-env-name", "KUBERNETES_SERVICE_HOST"));
        var port = Environment.GetEnvironmentVariable(Setting("api-service-port-env-name", "KUBERNETES_SERVICE_PORT"));
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(port))
        {
            _log.Error("Kubernetes discovery: the API server's host or port environment variable is empty");
            return (null, "");
        }
        // An IPv6 service host needs brackets in a URL.
        var url = $"https://{(host.Contains(':') ? $"[{host}]" : host)}:{port}";
        var config = new KubernetesClientConfiguration
        {
            Host = url,
            TokenProvider = new TokenFileAuth(Setting("api-token-path")),
            Namespace = Namespace,
        };
        var ca = Setting("api-ca-path");
        if (File.Exists(ca))
        {
            var certs = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            certs.ImportFromPemFile(ca);
            config.SslCaCerts = certs;
        }
        else _log.Warning("Kubernetes discovery: CA file {0} not found, trusting the system's roots", ca);
        return (new Kubernetes(config), url);
    }

    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        var (client, url) = _client.Value;
        if (client is null) throw new InvalidOperationException("Kubernetes discovery is not configured (API server address missing)");
        var selector = string.Format(Setting("pod-label-selector", "app={0}"), lookup.ServiceName);
        var ns = Namespace;
        using var cts = new CancellationTokenSource(resolveTimeout);
        V1PodList pods;
        try { pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: cts.Token); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"listing pods {selector} in {ns} at {url} failed: {e.Message}", e);
        }
        var targets = Targets(pods, lookup.PortName, ns, Setting("pod-domain", "cluster.local"), _config.GetBoolean("use-raw-ip", true),
            Setting("container-name") is { Length: > 0 } c ? c : null).ToList();
        if (targets.Count == 0) _log.Warning("Kubernetes discovery: no running pod matches {0} in {1} with port {2}", selector, ns, lookup.PortName ?? "(any)");
        return new Resolved(lookup.ServiceName, targets);
    }

    /// <summary>Running, not terminating pods with an IP (and, when asked, the named port); terminating pods must not
    /// be contact points, they are leaving.</summary>
    public static IEnumerable<ResolvedTarget> Targets(V1PodList pods, string? portName, string ns, string podDomain, bool rawIp, string? containerName)
    {
        foreach (var pod in pods.Items)
        {
            if (pod.Metadata?.DeletionTimestamp is not null) continue;
            if (!string.Equals(pod.Status?.Phase, "Running", StringComparison.OrdinalIgnoreCase)) continue;
            if (containerName is not null && pod.Status?.ContainerStatuses?.Any(s => s.Name == containerName && s.State?.Waiting is not null) == true) continue;
            var ip = pod.Status?.PodIP;
            if (string.IsNullOrWhiteSpace(ip)) continue;
            int? port = null;
            if (!string.IsNullOrEmpty(portName))
            {
                var named = pod.Spec?.Containers?.SelectMany(c => c.Ports ?? Array.Empty<V1ContainerPort>()).FirstOrDefault(p => p.Name == portName);
                if (named is null) continue;
                port = named.ContainerPort;
            }
            var host = rawIp ? ip : $"{ip.Replace('.', '-').Replace(':', '-')}.{ns}.pod.{podDomain}";
            yield return new ResolvedTarget(host, port, IPAddress.Parse(ip));
        }
    }
}
