using Switch.Node.Security;

namespace Switch.Node;

/// <summary>
/// The "security" section every node config has: the PEM files of the node's certificate, its key and the CA bundle
/// (remoting is mutual TLS, the control API HTTPS with them), and the API tokens. <c>dir</c> names a directory holding
/// them under the names `dswitch security init` (and a cert-manager Secret) use: ca.crt, tls.crt, tls.key, tokens.json;
/// a field given explicitly wins. <code>"security":{"dir":"pki"}</code>
/// </summary>
public sealed record NodeConfigSecurity
{
    public string? Dir { get; init; }
    public string? Ca { get; init; }
    public string? Certificate { get; init; }
    public string? Key { get; init; }
    public string? Tokens { get; init; }
    /// <summary><c>reader</c> (default): /metrics needs a reader token like the other reads; <c>open</c>: served to
    /// anyone who reaches the port (a pod network that only Prometheus reaches).</summary>
    public string Metrics { get; init; } = "reader";

    /// <summary>Paths made absolute against the config file's directory.</summary>
    public NodeConfigSecurity Resolved(string dir)
    {
        string? R(string? p) => p is null ? null : Path.Combine(dir, p);
        var d = R(Dir);
        string? In(string? explicitPath, string name) => R(explicitPath) ?? (d is null ? null : Path.Combine(d, name));
        return this with
        {
            Dir = d,
            Ca = In(Ca, NodeSecurity.CaFile), Certificate = In(Certificate, NodeSecurity.CertFile),
            Key = In(Key, NodeSecurity.KeyFile), Tokens = In(Tokens, NodeSecurity.TokensFile),
        };
    }

    public void Validate(string source)
    {
        foreach (var (v, name) in new[] { (Ca, "ca"), (Certificate, "certificate"), (Key, "key"), (Tokens, "tokens") })
            if (string.IsNullOrWhiteSpace(v))
                throw new UsageException($"{source}: security.{name} is required (or security.dir holding {FileOf(name)})");
        if (Metrics is not ("reader" or "open")) throw new UsageException($"{source}: security.metrics: expected reader or open, got '{Metrics}'");
    }

    private static string FileOf(string field) => field switch
    {
        "ca" => NodeSecurity.CaFile, "certificate" => NodeSecurity.CertFile, "key" => NodeSecurity.KeyFile, _ => NodeSecurity.TokensFile,
    };

    /// <summary>Reads the files (every problem a <see cref="UsageException"/> naming the field).</summary>
    public NodeSecurity Load() => new(NodeCredentials.Load(Certificate!, Key!, Ca!), ApiTokens.Load(Tokens!), Metrics == "open");
}
