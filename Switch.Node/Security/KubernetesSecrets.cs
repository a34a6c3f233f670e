using System.Net;
using System.Text;
using k8s;
using k8s.Authentication;
using k8s.Autorest;
using System.Security.Cryptography.X509Certificates;
using k8s.Models;

namespace Switch.Node.Security;

/// <summary>
/// `dswitch security k8s-secrets --namespace NS [--host H]...`: what `security init` writes, as Kubernetes Secrets,
/// made once from inside the cluster (the dswitch-pki Job): dswitch-ca (ca.crt, ca.key), dswitch-tls (type
/// kubernetes.io/tls: tls.crt, tls.key, ca.crt, the keys cert-manager uses), dswitch-api-tokens (tokens.json, hashes) and
/// dswitch-admin-token (admin.token, reader.token). A Secret that exists is never replaced (re-running is harmless,
/// certificates from cert-manager stay); a missing member certificate is issued from the CA Secret that exists.
/// </summary>
public static class KubernetesSecrets
{
    public const string CaSecret = "dswitch-ca", TlsSecret = "dswitch-tls", TokensSecret = "dswitch-api-tokens", AdminSecret = "dswitch-admin-token";
    public const string ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>The API server from inside a pod: KUBERNETES_SERVICE_HOST/PORT and the service account's token and CA.</summary>
    public static Kubernetes InCluster(string? apiUrl, string tokenPath, string caPath)
    {
        if (apiUrl is null)
        {
            var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
            var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
            if (string.IsNullOrEmpty(host) || string.IsNullOrEmpty(port))
                throw new UsageException("k8s-secrets runs inside a pod (KUBERNETES_SERVICE_HOST/PORT not set), or give --api-url");
            apiUrl = $"https://{(host.Contains(':') ? $"[{host}]" : host)}:{port}";
        }
        if (!File.Exists(tokenPath)) throw new UsageException($"--api-token: service account token '{tokenPath}' not found");
        var config = new KubernetesClientConfiguration { Host = apiUrl, TokenProvider = new TokenFileAuth(tokenPath) };
        if (File.Exists(caPath))
        {
            var certs = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            certs.ImportFromPemFile(caPath);
            config.SslCaCerts = certs;
        }
        return new Kubernetes(config);
    }

    /// <summary>Creates what is missing; returns one line per Secret saying what was done.</summary>
    public static async Task<List<string>> EnsureAsync(IKubernetes k, string ns, IReadOnlyList<string> hosts, CancellationToken ct = default)
    {
        var said = new List<string>();
        ClusterPki pki;
        var ca = await ReadAsync(k, ns, CaSecret, ct);
        if (ca is null)
        {
            pki = ClusterPki.Create();
            await CreateAsync(k, ns, CaSecret, "Opaque", new()
            {
                [NodeSecurity.CaFile] = pki.Ca.ExportCertificatePem() + "\n",
                [NodeSecurity.CaKeyFile] = pki.Ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n",
            }, ct);
            said.Add($"secret {CaSecret}: created (a new cluster CA)");
        }
        else
        {
            pki = ClusterPki.FromPem(Text(ca, NodeSecurity.CaFile), Text(ca, NodeSecurity.CaKeyFile));
            said.Add($"secret {CaSecret}: present, kept");
        }
        if (await ReadAsync(k, ns, TlsSecret, ct) is null)
        {
            using var cert = pki.Issue("dswitch member", hosts);
            await CreateAsync(k, ns, TlsSecret, "kubernetes.io/tls", new()
            {
                ["tls.crt"] = cert.ExportCertificatePem() + "\n",
                ["tls.key"] = cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n",
                [NodeSecurity.CaFile] = pki.Ca.ExportCertificatePem() + "\n",
            }, ct);
            said.Add($"secret {TlsSecret}: created (member certificate for {string.Join(", ", hosts)})");
        }
        else said.Add($"secret {TlsSecret}: present, kept");
        if (await ReadAsync(k, ns, TokensSecret, ct) is null)
        {
            if (await ReadAsync(k, ns, AdminSecret, ct) is not null)
                throw new UsageException($"secret {AdminSecret} exists without {TokensSecret}: delete it (its tokens would not match) and run again");
            string admin = ApiTokens.NewToken(), reader = ApiTokens.NewToken();
            await CreateAsync(k, ns, AdminSecret, "Opaque", new()
            {
                [NodeSecurity.AdminTokenFile] = admin + "\n", [NodeSecurity.ReaderTokenFile] = reader + "\n",
            }, ct);
            await CreateAsync(k, ns, TokensSecret, "Opaque", new()
            {
                [NodeSecurity.TokensFile] = ApiTokens.FileText(new[] { ("admin", admin, ApiRole.Admin), ("reader", reader, ApiRole.Reader) }),
            }, ct);
            said.Add($"secrets {TokensSecret}, {AdminSecret}: created (admin and reader tokens)");
        }
        else said.Add($"secret {TokensSecret}: present, kept");
        return said;
    }

    private static string Text(V1Secret s, string key) =>
        s.Data?.TryGetValue(key, out var v) == true ? Encoding.UTF8.GetString(v)
        : s.StringData?.TryGetValue(key, out var t) == true ? t
        : throw new UsageException($"secret {s.Metadata?.Name} has no key {key}");

    private static async Task<V1Secret?> ReadAsync(IKubernetes k, string ns, string name, CancellationToken ct)
    {
        try { return await k.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct); }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    private static async Task CreateAsync(IKubernetes k, string ns, string name, string type, Dictionary<string, string> data, CancellationToken ct)
    {
        var secret = new V1Secret
        {
            ApiVersion = "v1", Kind = "Secret", Type = type,
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = "distswitch" } },
            Data = data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)),
        };
        await k.CoreV1.CreateNamespacedSecretAsync(secret, ns, cancellationToken: ct);
    }
}
