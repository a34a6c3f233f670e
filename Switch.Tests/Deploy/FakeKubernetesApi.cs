using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switch.Tests.Deploy;

/// <summary>
/// A stand-in for the Kubernetes API server, as far as pod discovery reads it: HTTPS on 127.0.0.1 with a
/// self-signed certificate (the "cluster CA"), answering <c>GET /api/v1/namespaces/{ns}/pods?labelSelector=…</c>
/// with the pods whose labels match, serialized by the KubernetesClient models. Requests without the
/// service-account bearer token get 401, as the real one does.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    public const string Token = "test-service-account-token";
    private readonly WebApplication _app;
    public List<V1Pod> Pods { get; } = new();
    public ConcurrentQueue<string> Requests { get; } = new();
    public X509Certificate2 Certificate { get; }
    public int Port { get; private set; }

    public FakeKubernetesApi()
    {
        Certificate = SelfSigned();
        var b = WebApplication.CreateSlimBuilder();
        b.Logging.ClearProviders();
        b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(Certificate)));
        _app = b.Build();
        _app.MapGet("/api/v1/namespaces/{ns}/pods", (HttpContext c, string ns) =>
        {
            Requests.Enqueue(c.Request.Path + c.Request.QueryString);
            if (c.Request.Headers.Authorization.ToString() != "Bearer " + Token) return Results.StatusCode(401);
            var selector = Selector(c.Request.Query["labelSelector"].ToString());
            List<V1Pod> pods;
            lock (Pods) pods = Pods.Where(p => p.Namespace() == ns && selector.All(kv => p.Labels() is { } l && l.TryGetValue(kv.Key, out var v) && v == kv.Value)).ToList();
            var list = new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta { ResourceVersion = "1" }, Items = pods };
            return Results.Text(KubernetesJson.Serialize(list), "application/json");
        });
    }

    /// <summary>Secrets by "namespace/name", as the API server stores them (Data base64 on the wire).</summary>
    public ConcurrentDictionary<string, V1Secret> Secrets { get; } = new();

    private void MapSecrets()
    {
        _app.MapGet("/api/v1/namespaces/{ns}/secrets/{name}", (HttpContext c, string ns, string name) =>
        {
            if (c.Request.Headers.Authorization.ToString() != "Bearer " + Token) return Results.StatusCode(401);
            try
            {
            return Secrets.TryGetValue($"{ns}/{name}", out var s)
                ? Results.Text(KubernetesJson.Serialize(s), "application/json")
                : Results.Text("""{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}""", "application/json", statusCode: 404);
            }
            catch (Exception e) { return Results.Text(e.ToString(), "text/plain", statusCode: 400); }
        });
        _app.MapPost("/api/v1/namespaces/{ns}/secrets", async (HttpContext c, string ns) =>
        {
            if (c.Request.Headers.Authorization.ToString() != "Bearer " + Token) return Results.StatusCode(401);
            var body = await new StreamReader(c.Request.Body).ReadToEndAsync();
            V1Secret secret;
            try { secret = KubernetesJson.Deserialize<V1Secret>(body); }
            catch (Exception e) { return Results.Text(e.ToString(), "text/plain", statusCode: 400); }
            if (!Secrets.TryAdd($"{ns}/{secret.Metadata.Name}", secret)) return Results.StatusCode(409);
            return Results.Text(KubernetesJson.Serialize(secret), "application/json", statusCode: 201);
        });
    }

    public async Task StartAsync()
    {
        MapSecrets();
        await _app.StartAsync();
        Port = new Uri(_app.Urls.First()).Port;
    }

    /// <summary>A running pod of the DaemonSet: its IP and the named container ports discovery reads.</summary>
    public void AddPod(string ns, string name, string ip, int managementPort, int remotePort, Dictionary<string, string> labels)
    {
        var pod = new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
            Spec = new V1PodSpec
            {
                Containers = new List<V1Container>
                {
                    new()
                    {
                        Name = "dswitch", Image = "dswitch:test",
                        Ports = new List<V1ContainerPort>
                        {
                            new() { Name = "akka-remote", ContainerPort = remotePort },
                            new() { Name = "management", ContainerPort = managementPort },
                        },
                    },
                },
            },
            Status = new V1PodStatus { Phase = "Running", PodIP = ip },
        };
        lock (Pods) Pods.Add(pod);
    }

    private static Dictionary<string, string> Selector(string s) =>
        s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=fake-kubernetes-api", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel needs the private key in a form the platform's TLS can use: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
