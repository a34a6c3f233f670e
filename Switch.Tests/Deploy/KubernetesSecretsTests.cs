using System.Text;
using Switch.Node.Commands;
using Switch.Node.Security;
using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>The dswitch-pki Job's command against an API server stand-in: it makes the four Secrets once, never replaces
/// one, and what it made is a working node security (the DaemonSet mounts these keys as files).</summary>
[Trait("Category", Tiers.Unit)]
public sealed class KubernetesSecretsTests : IAsyncLifetime
{
    private readonly FakeKubernetesApi _api = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dswitch-k8s-secrets-").FullName;

    public Task InitializeAsync() => _api.StartAsync();

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private string Run()
    {
        File.WriteAllText(Path.Combine(_dir, "token"), FakeKubernetesApi.Token);
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), _api.Certificate.ExportCertificatePem());
        var o = new StringWriter();
        Assert.Equal(0, SecurityCommand.Run(new[] { "k8s-secrets", "--namespace", "dswitch", "--api-url", $"https://127.0.0.1:{_api.Port}",
            "--api-token", Path.Combine(_dir, "token"), "--api-ca", Path.Combine(_dir, "ca.crt"),
            "--host", "dswitch-control.dswitch.svc", "--host", "127.0.0.1" }, o));
        return o.ToString();
    }

    private string Key(string secret, string key) => Encoding.UTF8.GetString(_api.Secrets[$"dswitch/{secret}"].Data[key]);

    [Fact]
    public void The_job_makes_the_secrets_once_and_they_secure_a_node()
    {
        var first = Run();
        Assert.Contains("secret dswitch-ca: created", first);
        Assert.Contains("secret dswitch-tls: created (member certificate for dswitch-control.dswitch.svc, 127.0.0.1)", first);
        Assert.Contains("secrets dswitch-api-tokens, dswitch-admin-token: created", first);
        Assert.Equal("kubernetes.io/tls", _api.Secrets["dswitch/dswitch-tls"].Type);
        var tls = Key("dswitch-tls", "tls.crt");
        var tokens = Key("dswitch-api-tokens", "tokens.json");

        var again = Run();
        Assert.Contains("secret dswitch-ca: present, kept", again);
        Assert.Contains("secret dswitch-tls: present, kept", again);
        Assert.Contains("secret dswitch-api-tokens: present, kept", again);
        Assert.Equal((tls, tokens), (Key("dswitch-tls", "tls.crt"), Key("dswitch-api-tokens", "tokens.json")));

        // As the DaemonSet mounts them: /etc/dswitch/pki (the tls Secret) and /etc/dswitch/tokens.
        var pki = Directory.CreateDirectory(Path.Combine(_dir, "pki")).FullName;
        foreach (var k in new[] { "tls.crt", "tls.key", "ca.crt" }) File.WriteAllText(Path.Combine(pki, k), Key("dswitch-tls", k));
        File.WriteAllText(Path.Combine(pki, "tokens.json"), tokens);
        var security = new Switch.Node.NodeConfigSecurity { Dir = pki }.Resolved(pki).Load();
        Assert.True(security.Credentials.Trust.Trusts(security.Credentials.Certificate));
        Assert.Equal(ApiRole.Admin, security.Tokens.Find(Key("dswitch-admin-token", "admin.token").Trim())?.Role);
        Assert.Equal(ApiRole.Reader, security.Tokens.Find(Key("dswitch-admin-token", "reader.token").Trim())?.Role);

        // The member certificate is gone (rotated by deleting it): the next run issues one from the kept CA.
        _api.Secrets.TryRemove("dswitch/dswitch-tls", out _);
        Assert.Contains("secret dswitch-tls: created", Run());
        Assert.NotEqual(tls, Key("dswitch-tls", "tls.crt"));
        Assert.Equal(Key("dswitch-ca", "ca.crt"), Key("dswitch-tls", "ca.crt"));
    }
}
