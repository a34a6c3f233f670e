using Switch.Node.Security;

namespace Switch.Node.Commands;

/// <summary>
/// `dswitch security init --out DIR [--host H]...`: a new cluster CA, one member certificate for the given hosts (IP
/// addresses or DNS names; default this host's loopback names) and two API tokens, as files a node config's
/// <c>"security":{"dir":"DIR"}</c> reads: ca.crt, ca.key, tls.crt, tls.key, tokens.json (hashes only), admin.token and
/// reader.token (the secrets, for clients). Keys and tokens are written 0600.
/// `dswitch security issue --ca DIR --out DIR2 [--host H]...`: another member certificate from that CA (a rotation, or
/// per-host certificates), with DIR's ca.crt and tokens.json copied alongside.
/// </summary>
public static class SecurityCommand
{
    public static int Run(string[] argv, TextWriter output)
    {
        if (argv.Length == 0 || argv[0] is not ("init" or "issue" or "k8s-secrets"))
            throw new UsageException("security needs a verb: init --out DIR [--host H]...  |  issue --ca DIR --out DIR [--host H]...  |  k8s-secrets --namespace NS [--host H]...");
        var a = new Args(argv[1..], Array.Empty<string>(), new[] { "out", "ca", "host", "namespace", "api-url", "api-token", "api-ca" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        if (argv[0] == "k8s-secrets")
        {
            var ns = a.Get("namespace") ?? throw new UsageException("security k8s-secrets needs --namespace NS");
            IReadOnlyList<string> names = a.All("host").Count > 0 ? a.All("host") : ClusterPki.LoopbackHosts;
            using var k = KubernetesSecrets.InCluster(a.Get("api-url"),
                a.Get("api-token") ?? Path.Combine(KubernetesSecrets.ServiceAccountDir, "token"),
                a.Get("api-ca") ?? Path.Combine(KubernetesSecrets.ServiceAccountDir, "ca.crt"));
            foreach (var line in KubernetesSecrets.EnsureAsync(k, ns, names).GetAwaiter().GetResult()) output.WriteLine("dswitch: " + line);
            return 0;
        }
        var dir = a.Get("out") ?? throw new UsageException($"security {argv[0]} needs --out DIR");
        IReadOnlyList<string> hosts = a.All("host");
        if (hosts.Count == 0) hosts = ClusterPki.LoopbackHosts;
        Directory.CreateDirectory(dir);
        if (argv[0] == "init")
        {
            var pki = ClusterPki.Create();
            pki.WriteCa(Path.Combine(dir, NodeSecurity.CaFile), Path.Combine(dir, NodeSecurity.CaKeyFile));
            Issue(pki, dir, hosts);
            string admin = ApiTokens.NewToken(), reader = ApiTokens.NewToken();
            File.WriteAllText(Path.Combine(dir, NodeSecurity.TokensFile),
                ApiTokens.FileText(new[] { ("admin", admin, ApiRole.Admin), ("reader", reader, ApiRole.Reader) }));
            ClusterPki.WritePrivate(Path.Combine(dir, NodeSecurity.AdminTokenFile), admin + "\n");
            ClusterPki.WritePrivate(Path.Combine(dir, NodeSecurity.ReaderTokenFile), reader + "\n");
            output.WriteLine($"dswitch: wrote a new CA, a member certificate for {string.Join(", ", hosts)} and API tokens to {dir}");
            output.WriteLine($"  node config:  \"security\": {{\"dir\": \"{Path.GetFullPath(dir)}\"}}");
            output.WriteLine($"  client:       DSWITCH_TOKEN=@{Path.GetFullPath(Path.Combine(dir, NodeSecurity.AdminTokenFile))} DSWITCH_CACERT={Path.GetFullPath(Path.Combine(dir, NodeSecurity.CaFile))} dswitch ctl --seed https://HOST:PORT …");
            return 0;
        }
        var caDir = a.Get("ca") ?? throw new UsageException("security issue needs --ca DIR (a directory from security init)");
        string caCert = Path.Combine(caDir, NodeSecurity.CaFile), caKey = Path.Combine(caDir, NodeSecurity.CaKeyFile);
        if (!File.Exists(caCert) || !File.Exists(caKey)) throw new UsageException($"--ca: {caDir} must hold {NodeSecurity.CaFile} and {NodeSecurity.CaKeyFile}");
        var ca = ClusterPki.Load(caCert, caKey);
        Issue(ca, dir, hosts);
        if (Path.GetFullPath(caDir) != Path.GetFullPath(dir))
        {
            File.Copy(caCert, Path.Combine(dir, NodeSecurity.CaFile), overwrite: true);
            var tokens = Path.Combine(caDir, NodeSecurity.TokensFile);
            if (File.Exists(tokens)) File.Copy(tokens, Path.Combine(dir, NodeSecurity.TokensFile), overwrite: true);
        }
        output.WriteLine($"dswitch: wrote a member certificate for {string.Join(", ", hosts)} to {dir}");
        return 0;
    }

    private static void Issue(ClusterPki pki, string dir, IReadOnlyList<string> hosts)
    {
        using var cert = pki.Issue("dswitch member", hosts);
        ClusterPki.WriteCertificate(cert, Path.Combine(dir, NodeSecurity.CertFile), Path.Combine(dir, NodeSecurity.KeyFile));
    }
}
