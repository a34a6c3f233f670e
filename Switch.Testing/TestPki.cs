using Switch.Node.Control;
using Switch.Node.Security;

namespace Switch.Testing;

/// <summary>
/// The secured default every test and bench node runs with: one CA, member certificate (loopback names and the
/// addresses tests give namespaces) and the admin and reader tokens, written once per process by the same code as
/// `dswitch security init`, to a directory a node config's <c>"security":{"dir":…}</c> names. Clients trust that CA and
/// send the admin token, as an operator's would.
/// </summary>
public static class TestPki
{
    /// <summary>The hosts the member certificate names: loopback and the namespace addresses the live and partition tests use.</summary>
    public static readonly string[] Hosts =
        ClusterPki.LoopbackHosts.Concat(Enumerable.Range(1, 9).SelectMany(i => new[] { $"10.70.0.{i}", $"10.71.0.{i}" })).ToArray();

    private static readonly Lazy<string> DirLazy = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"dswitch-pki-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var args = new List<string> { "init", "--out", dir };
        foreach (var h in Hosts) { args.Add("--host"); args.Add(h); }
        Switch.Node.Commands.SecurityCommand.Run(args.ToArray(), TextWriter.Null);
        return dir;
    });

    /// <summary>The directory holding ca.crt, tls.crt, tls.key, tokens.json, admin.token, reader.token.</summary>
    public static string Dir => DirLazy.Value;
    public static string CaFile => Path.Combine(Dir, NodeSecurity.CaFile);
    public static string AdminToken => File.ReadAllText(Path.Combine(Dir, NodeSecurity.AdminTokenFile)).Trim();
    public static string ReaderToken => File.ReadAllText(Path.Combine(Dir, NodeSecurity.ReaderTokenFile)).Trim();
    public static CaBundle Trust => CaBundle.Load(CaFile);

    /// <summary>Base64 SHA-256 of the member certificate's public key: what a browser is told to trust it by
    /// (Chromium's --ignore-certificate-errors-spki-list pins exactly this key, nothing else).</summary>
    public static string MemberSpkiSha256
    {
        get
        {
            using var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Dir, NodeSecurity.CertFile));
            return Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
        }
    }

    /// <summary>The JSON of a config's security section for this directory.</summary>
    public static string SecurityJson => $"\"security\": {{ \"dir\": \"{Dir}\" }}";

    /// <summary>What an in-process node loads from <see cref="Dir"/>.</summary>
    public static NodeSecurity Security => new Switch.Node.NodeConfigSecurity { Dir = Dir }.Resolved(Dir).Load();

    /// <summary>A control client as an operator's: the CA trusted, the admin token (or <paramref name="token"/>).</summary>
    public static ControlClient Client(string url, TimeSpan? timeout = null, string? token = null) =>
        new(url, token ?? AdminToken, Trust, timeout);

    /// <summary>An HttpClient trusting the CA and sending <paramref name="token"/> (none when null).</summary>
    public static HttpClient Http(string? url, string? token, TimeSpan? timeout = null)
    {
        var trust = Trust;
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, errors) => trust.ValidateServer(cert, errors) };
        var http = new HttpClient(handler) { BaseAddress = url is null ? null : new Uri(url.TrimEnd('/') + "/"), Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
