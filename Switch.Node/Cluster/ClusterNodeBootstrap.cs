using Akka.Actor;
using Akka.Configuration;
using Akka.Discovery.KubernetesApi;
using Akka.Management.Dsl;
using Akka.Management.Cluster.Bootstrap;

namespace Switch.Node.Cluster;

/// <summary>
/// The bootstrap branch of <see cref="ClusterNode"/>: the HOCON that replaces static seeds with Akka.Management
/// cluster bootstrap over Akka.Discovery (Kubernetes API through <see cref="KubernetesPodDiscovery"/>, or config),
/// and the start of the contact point (<see cref="BootstrapEndpoint"/>, in place of Akka.Management's HTTP server)
/// and of the bootstrap process. Nothing here runs when <see cref="ClusterNodeOptions.Bootstrap"/> is null.
/// The <c>akka.management.http</c> settings are kept so the contact point is described where Akka expects it.
/// </summary>
public static class ClusterNodeBootstrap
{
    /// <summary>Config that takes precedence over the node's own; empty without bootstrap.</summary>
    public static Config Config(ClusterNodeOptions o)
    {
        if (o.Bootstrap is not { } b) return Akka.Configuration.Config.Empty;
        string endpoints = string.Join(",", b.Endpoints.Select(e => $"\"{e}\""));
        string ns = b.Namespace is null ? "" : $"pod-namespace = \"{b.Namespace}\"";
        return ConfigurationFactory.ParseString($$"""
            akka {
              cluster.seed-nodes = []
              discovery {
                method = {{b.Method}}
                kubernetes-api {
                  class = "{{KubernetesPodDiscovery.ClassName}}"
                  pod-label-selector = "{{b.LabelSelector}}"
                  use-raw-ip = true
                  api-service-host-env-name = "{{b.ApiHostEnv}}"
                  api-service-port-env-name = "{{b.ApiPortEnv}}"
                  api-token-path = "{{b.TokenPath}}"
                  api-ca-path = "{{b.CaPath}}"
                  {{ns}}
                }
                config.services.{{b.ServiceName}}.endpoints = [{{endpoints}}]
              }
              management {
                http {
                  hostname = "{{b.ManagementHost}}"
                  port = {{b.ManagementPort}}
                  bind-hostname = "{{b.ManagementHost}}"
                  bind-port = {{b.ManagementPort}}
                }
                cluster.bootstrap {
                  contact-point-discovery {
                    service-name = "{{b.ServiceName}}"
                    port-name = "{{(b.Method == ClusterBootstrapOptions.KubernetesApi ? b.PortName : "")}}"
                    required-contact-point-nr = {{b.RequiredContactPoints}}
                    stable-margin = {{(int)b.StableMargin.TotalMilliseconds}}ms
                    interval = 1s
                    contact-with-all-contact-points = true
                  }
                  contact-point.fallback-port = {{b.ManagementPort}}
                  contact-point.filter-on-fallback-port = false
                }
              }
            }
            """).WithFallback(KubernetesDiscovery.DefaultConfiguration());
    }

    /// <summary>Starts the contact-point endpoint, then bootstrap; completes once both run (joining comes later).
    /// The endpoint stops with the actor system (coordinated shutdown).</summary>
    public static async Task StartAsync(ActorSystem system, ClusterNodeOptions o)
    {
        if (o.Bootstrap is not { } b) return;
        var endpoint = await BootstrapEndpoint.StartAsync(system, b.ManagementHost, b.ManagementPort);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseActorSystemTerminate, "stop-bootstrap-endpoint", async () =>
        {
            await endpoint.DisposeAsync();
            return Akka.Done.Instance;
        });
        var bootstrap = ClusterBootstrap.Get(system);
        // What Akka.Management does when it binds its routes: tell bootstrap its own contact point, which the join
        // decider compares with the discovered ones to know whether it is the lowest.
        bootstrap.Routes(ManagementRouteProviderSettings.Create(new Uri($"http://{b.ManagementHost}:{b.ManagementPort}"), true));
        await bootstrap.Start();
    }
}
