using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switch.Node.Security;

namespace Switch.Node.Control;

/// <summary>
/// Who may call what on the control API. <c>/health/*</c> is open (probes); <c>/metrics</c> open or reader as
/// configured; every other read (GET, and POST /trace, which changes nothing) needs a <c>reader</c> or <c>admin</c>
/// token; everything that changes state (flows, flush, packet-out) needs <c>admin</c> sent as a bearer token.
/// Basic authentication (any user name, the token as password) is accepted for reads only: it lets a browser open the
/// status page, and a browser's remembered Basic credentials can never change the switch. No credential: 401; a
/// credential without the role: 403; each denial is counted by reason and logged as one line with the caller's address
/// (repeats from one address and reason within a minute are counted, not logged again).
/// </summary>
public sealed class ApiGuard
{
    public const string Unauthenticated = "unauthenticated", Forbidden = "forbidden";
    private readonly ApiTokens _tokens;
    private readonly bool _metricsOpen;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, long> _denied = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), long> _lastLogged = new();

    public ApiGuard(ApiTokens tokens, bool metricsOpen, ILogger log)
    {
        _tokens = tokens; _metricsOpen = metricsOpen; _log = log;
    }

    /// <summary>Denials so far by reason (<see cref="Unauthenticated"/>, <see cref="Forbidden"/>).</summary>
    public IReadOnlyDictionary<string, long> Denied => _denied;

    /// <summary>The role a request needs; null when open.</summary>
    public ApiRole? Required(HttpRequest r)
    {
        var path = r.Path.Value ?? "/";
        if (path.StartsWith("/health/", StringComparison.Ordinal)) return null;
        if (path == "/metrics") return _metricsOpen ? null : ApiRole.Reader;
        if (HttpMethods.IsGet(r.Method) || HttpMethods.IsHead(r.Method)) return ApiRole.Reader;
        if (HttpMethods.IsPost(r.Method) && path == "/trace") return ApiRole.Reader;
        return ApiRole.Admin;
    }

    /// <summary>Null when the request may go on; else the status and one-line message to answer with.</summary>
    public (int Status, string Message)? Check(HttpContext c)
    {
        if (Required(c.Request) is not { } need) return null;
        var header = c.Request.Headers.Authorization.ToString();
        string? token = null;
        bool basic = false;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) token = header[7..].Trim();
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            basic = true;
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                int colon = pair.IndexOf(':');
                token = colon < 0 ? null : pair[(colon + 1)..];
            }
            catch (FormatException) { token = null; }
        }
        if (string.IsNullOrEmpty(token))
        {
            Challenge(c);
            return Deny(c, Unauthenticated, 401, header.Length == 0
                ? "authentication required: send an API token (dswitch ctl --token, or DSWITCH_TOKEN)"
                : "authentication required: expected 'Authorization: Bearer TOKEN'");
        }
        if (_tokens.Find(token) is not { } who)
        {
            Challenge(c);
            return Deny(c, Unauthenticated, 401, "invalid API token");
        }
        if (who.Role < need)
            return Deny(c, Forbidden, 403, $"token '{who.Name}' has role reader; {c.Request.Method} {c.Request.Path} needs admin");
        if (basic && need == ApiRole.Admin)
            return Deny(c, Forbidden, 403, "changes need the token as 'Authorization: Bearer'; Basic authentication is for reading (the status page)");
        return null;
    }

    private static void Challenge(HttpContext c)
    {
        c.Response.Headers.WWWAuthenticate = HttpMethods.IsGet(c.Request.Method)
            ? new Microsoft.Extensions.Primitives.StringValues(new[] { "Bearer realm=\"dswitch\"", "Basic realm=\"dswitch\", charset=\"UTF-8\"" })
            : "Bearer realm=\"dswitch\"";
    }

    private (int, string) Deny(HttpContext c, string reason, int status, string message)
    {
        _denied.AddOrUpdate(reason, 1, (_, n) => n + 1);
        string from = c.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        long now = Environment.TickCount64;
        var key = (from, reason);
        if (!_lastLogged.TryGetValue(key, out var last) || now - last > 60_000)
        {
            _lastLogged[key] = now;
            if (_lastLogged.Count > 10_000) _lastLogged.Clear();
            _log.LogWarning("control API: denied {Method} {Path} from {Address}: {Status} {Message}", c.Request.Method, c.Request.Path, from, status, message);
        }
        return (status, message);
    }
}
