using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>
/// The web host every node runs its control API on, whatever the <see cref="ISwitchControl"/> behind it
/// (a single node or a cluster member), over HTTPS only. Logs go to stderr at Warning and above, so stdout stays for the
/// one ready line scripts wait for.
/// </summary>
public static class ControlHost
{
    /// <summary>The API on <paramref name="url"/> (https only), serving <paramref name="security"/>'s certificate and
    /// admitting its tokens (see <see cref="ApiGuard"/>).</summary>
    public static WebApplication Build(string url, ISwitchControl control, Security.NodeSecurity security, Func<bool>? ready,
        Metrics.NodeMetrics? metrics = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"control API address must be an https:// URL, got '{url}'", nameof(url));
        // Slim: no appsettings/ASPNETCORE_* surprises and a faster start; Production: never the HTML error page.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = Array.Empty<string>(),
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(url);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = Switch.Contracts.Control.ApiLimits.BodyBytes;
            k.ConfigureHttpsDefaults(h =>
            {
                h.ServerCertificate = security.Credentials.Certificate;
                h.SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
            });
        });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        // A failed start (port in use) propagates out of StartAsync and the CLI prints it as one line; the host's
        // own copy of it would be a page of stack trace in front of that line.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // The console lifetime's "Application started. Press Ctrl+C" lines are noise for a CLI.
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        var app = builder.Build();
        var guard = new ApiGuard(security.Tokens, security.MetricsOpen, app.Logger);
        metrics?.Watch(guard);
        app.MapControlApi(control, guard, ready, metrics);
        return app;
    }

    /// <summary>The address Kestrel actually bound (the real port when the URL asked for port 0). Call after start.</summary>
    public static string BoundUrl(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        return addresses?.FirstOrDefault() ?? app.Urls.First();
    }
}
