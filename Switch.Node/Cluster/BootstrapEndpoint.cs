using System.Collections.Immutable;
using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;
using static Akka.Management.Cluster.Bootstrap.ContactPoint.HttpBootstrapJsonProtocol;

namespace Switch.Node.Cluster;

/// <summary>
/// The cluster-bootstrap contact point (<c>GET /bootstrap/seed-nodes</c>) on the management port, served by Kestrel.
/// Akka.Management's own HTTP server cannot start with the packages served here: Akka.Http.Shim 1.5.73 was built
/// against Ceen.Httpd 0.9.9, only 0.9.10 is served, and a method it calls is gone (MissingMethodException on
/// <c>HttpServer.ListenAsync</c>). This answers exactly what Akka.Management's route answers, serialized with the same
/// Newtonsoft types the probing side deserializes, so the bootstrap coordinator, discovery and join decider all
/// run unchanged.
/// </summary>
public sealed class BootstrapEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BootstrapEndpoint(WebApplication app) => _app = app;

    public static async Task<BootstrapEndpoint> StartAsync(ActorSystem system, string host, int port)
    {
        var b = WebApplication.CreateSlimBuilder();
        b.Logging.ClearProviders();
        b.WebHost.ConfigureKestrel(k =>
        {
            if (IPAddress.TryParse(host, out var ip)) k.Listen(ip, port);
            else k.ListenAnyIP(port);
        });
        var app = b.Build();
        app.MapGet("/bootstrap/seed-nodes", () => SeedNodes(system));
        await app.StartAsync();
        return new BootstrapEndpoint(app);
    }

    private static IResult SeedNodes(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        // A node that has not joined yet has no member entry (its SelfMember reads Removed): it answers, with no
        // seed nodes, so the lowest address can form the cluster. One that is leaving or gone does not.
        var self = state.Members.FirstOrDefault(m => m.UniqueAddress.Equals(cluster.SelfUniqueAddress));
        if (cluster.IsTerminated || self?.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed)
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m))
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Select(m => new ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return Results.Text(JsonConvert.SerializeObject(new SeedNodes(cluster.SelfMember.UniqueAddress.Address, members)), "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
