using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Switch.Node.Security;

/// <summary>
/// The cluster's certificate authority: a self-signed CA (ECDSA P-256) that signs member certificates, each valid for
/// TLS server and client authentication (members are both on a remoting connection; the control API is a server).
/// `dswitch security init` writes one to disk; `replay --cluster N` and the tests keep one in memory.
/// </summary>
public sealed class ClusterPki
{
    /// <summary>The CA certificate, with its private key (needed only to issue).</summary>
    public X509Certificate2 Ca { get; }

    private ClusterPki(X509Certificate2 ca) => Ca = ca;

    public static ClusterPki Create(string name = "dswitch cluster CA", TimeSpan? validity = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(new X500DistinguishedName("CN=" + name), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return new ClusterPki(req.CreateSelfSigned(now.AddMinutes(-5), now + (validity ?? TimeSpan.FromDays(3650))));
    }

    /// <summary>A CA from its certificate and key PEM text.</summary>
    public static ClusterPki FromPem(string caCert, string caKey) => new(X509Certificate2.CreateFromPem(caCert, caKey));

    /// <summary>Loads a CA written by <see cref="WriteCa"/> (certificate and key PEM files).</summary>
    public static ClusterPki Load(string caCert, string caKey) => new(X509Certificate2.CreateFromPemFile(caCert, caKey));

    /// <summary>A member certificate signed by this CA for <paramref name="hosts"/> (IP addresses and DNS names, its
    /// subject alternative names), with its private key.</summary>
    public X509Certificate2 Issue(string commonName, IEnumerable<string> hosts, TimeSpan? validity = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection
        {
            new Oid("1.3.6.1.5.5.7.3.1"), // serverAuth
            new Oid("1.3.6.1.5.5.7.3.2"), // clientAuth
        }, false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var h in hosts)
            if (IPAddress.TryParse(h, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(h);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + (validity ?? TimeSpan.FromDays(825));
        if (notAfter > Ca.NotAfter) notAfter = Ca.NotAfter;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var cert = req.Create(Ca, now.AddMinutes(-5), notAfter, serial);
        using var withKey = cert.CopyWithPrivateKey(key);
        // Through PKCS#12 once: a key made in memory is ephemeral, which TLS servers cannot use on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The default names a member certificate covers on one host.</summary>
    public static readonly IReadOnlyList<string> LoopbackHosts = new[] { "127.0.0.1", "::1", "localhost" };

    /// <summary>A member's certificate and key in memory, ready for remoting and the control API.</summary>
    public NodeCredentials IssueCredentials(string commonName, IEnumerable<string>? hosts = null) =>
        new(Issue(commonName, hosts ?? LoopbackHosts), CaBundle.Of(Ca));

    public void WriteCa(string certPath, string keyPath)
    {
        File.WriteAllText(certPath, Ca.ExportCertificatePem() + "\n");
        WritePrivate(keyPath, Ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
    }

    public static void WriteCertificate(X509Certificate2 cert, string certPath, string keyPath)
    {
        File.WriteAllText(certPath, cert.ExportCertificatePem() + "\n");
        WritePrivate(keyPath, cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>Writes a secret readable by its owner only (0600), created so from the start.</summary>
    public static void WritePrivate(string path, string text)
    {
        if (File.Exists(path)) File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var f = new FileStream(path, options);
        using var w = new StreamWriter(f);
        w.Write(text);
    }
}
