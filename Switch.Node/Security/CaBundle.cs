using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Switch.Node.Security;

/// <summary>
/// The CA certificates a member trusts (one, or during a CA rotation the old and the new): a peer's certificate is
/// accepted when it chains to one of them — never to the system's public roots — is inside its validity and is meant
/// for TLS (the extended key usage, when present, names the role the peer plays).
/// </summary>
public sealed class CaBundle
{
    public X509Certificate2Collection Certificates { get; }

    private CaBundle(X509Certificate2Collection certs)
    {
        if (certs.Count == 0) throw new ArgumentException("a CA bundle needs at least one certificate");
        Certificates = certs;
    }

    public static CaBundle Of(params X509Certificate2[] cas) => new(new X509Certificate2Collection(cas.Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray()));

    /// <summary>Every certificate in a PEM file (a bundle).</summary>
    public static CaBundle Load(string pemPath)
    {
        var certs = new X509Certificate2Collection();
        certs.ImportFromPemFile(pemPath);
        if (certs.Count == 0) throw new UsageException($"{pemPath}: no PEM certificate in it");
        return new(certs);
    }

    public const string ServerAuth = "1.3.6.1.5.5.7.3.1", ClientAuth = "1.3.6.1.5.5.7.3.2";

    /// <summary>True when <paramref name="peer"/> chains to this bundle. <paramref name="purpose"/>: the EKU it must carry
    /// (null: either TLS role, as on a remoting connection where each side is both).</summary>
    public bool Trusts(X509Certificate? peer, string? purpose = null) => Why(peer, purpose) is null;

    /// <summary>Null when trusted, else the reason in a few words (for the one log line a refusal gets).</summary>
    public string? Why(X509Certificate? peer, string? purpose = null)
    {
        if (peer is null) return "no certificate";
        using var cert = X509CertificateLoader.LoadCertificate(peer.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Certificates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (purpose is not null) chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(purpose));
        if (!chain.Build(cert))
        {
            var status = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return $"certificate '{cert.Subject}' not issued by the cluster CA ({string.Join(", ", status)})";
        }
        var root = chain.ChainElements[^1].Certificate;
        if (!Certificates.Cast<X509Certificate2>().Any(c => c.Thumbprint == root.Thumbprint))
            return $"certificate '{cert.Subject}' chains to '{root.Subject}', not the cluster CA";
        if (purpose is null)
        {
            var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
            if (eku is not null && !eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Any(o => o.Value is ServerAuth or ClientAuth))
                return $"certificate '{cert.Subject}' is not for TLS";
        }
        return null;
    }

    /// <summary>An HTTPS client's check of the server: chains to the bundle and names the host dialled.</summary>
    public bool ValidateServer(X509Certificate? cert, SslPolicyErrors errors) =>
        (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) == 0
        && Trusts(cert, ServerAuth);
}

/// <summary>What a member presents (its certificate, with the private key) and whom it trusts.</summary>
public sealed record NodeCredentials(X509Certificate2 Certificate, CaBundle Trust)
{
    /// <summary>Reads the PEM files a security section names.</summary>
    public static NodeCredentials Load(string certificate, string key, string ca)
    {
        foreach (var (f, what) in new[] { (certificate, "certificate"), (key, "key"), (ca, "ca") })
            if (!File.Exists(f)) throw new UsageException($"security.{what}: file '{f}' not found");
        X509Certificate2 cert;
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certificate, key);
            // Through PKCS#12 once: a PEM-loaded key is ephemeral, which TLS servers cannot use on every platform.
            cert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new UsageException($"security: cannot read certificate '{certificate}' with key '{key}': {e.Message}");
        }
        var trust = CaBundle.Load(ca);
        if (trust.Why(cert) is { } why) throw new UsageException($"security: this node's own {why}");
        return new NodeCredentials(cert, trust);
    }
}
