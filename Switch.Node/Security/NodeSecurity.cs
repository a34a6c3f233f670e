namespace Switch.Node.Security;

/// <summary>
/// Everything a node secures itself with: the certificate it presents on remoting and the control API, the CA bundle it
/// trusts, and the API's tokens. There is no insecure mode: a node without these does not start.
/// </summary>
public sealed record NodeSecurity(NodeCredentials Credentials, ApiTokens Tokens, bool MetricsOpen = false)
{
    /// <summary>A throwaway CA, a member certificate for this host and fresh tokens, all in memory (`replay --cluster N`,
    /// the tests): the same checks as on disk, nothing written.</summary>
    public static (NodeSecurity Security, string AdminToken, string ReaderToken) Ephemeral(IEnumerable<string>? hosts = null)
    {
        var pki = ClusterPki.Create("dswitch ephemeral CA");
        string admin = ApiTokens.NewToken(), reader = ApiTokens.NewToken();
        var s = new NodeSecurity(pki.IssueCredentials("dswitch member", hosts),
            ApiTokens.Of(("admin", admin, ApiRole.Admin), ("reader", reader, ApiRole.Reader)));
        return (s, admin, reader);
    }

    /// <summary>The file names `dswitch security init` writes (those of cert-manager's Secrets for the certificate).</summary>
    public const string CaFile = "ca.crt", CaKeyFile = "ca.key", CertFile = "tls.crt", KeyFile = "tls.key",
        TokensFile = "tokens.json", AdminTokenFile = "admin.token", ReaderTokenFile = "reader.token";
}
