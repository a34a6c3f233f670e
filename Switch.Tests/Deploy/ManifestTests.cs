using k8s;
using k8s.Models;
using Switch.Node;
using Switch.Node.Commands;
using Xunit;
using YamlDotNet.Serialization;

namespace Switch.Tests.Deploy;

/// <summary>deploy/k8s: valid against the Kubernetes API models, consistent with each other, and the kustomization builds.</summary>
[Trait("Category", Tiers.Unit)]
public sealed class ManifestTests
{
    private static readonly string[] KustomizationKeys =
        { "apiVersion", "kind", "namespace", "labels", "commonLabels", "resources", "configMapGenerator", "secretGenerator", "images", "generatorOptions", "patches" };

    private static Dictionary<string, object> Kustomization() =>
        new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(File.ReadAllText(Path.Combine(Manifests.K8sDir, "kustomization.yaml")));

    private static List<string> Resources() => ((List<object>)Kustomization()["resources"]).Cast<string>().ToList();

    /// <summary>Every object the kustomization lists, each file validated strictly.</summary>
    private static List<object> All() => Resources().SelectMany(r => Manifests.Load(Path.Combine(Manifests.K8sDir, r))).ToList();

    private static T One<T>(string? name = null) => All().OfType<T>().Single(o => name is null || ((IMetadata<V1ObjectMeta>)o!).Metadata.Name == name);

    [Fact]
    public void Every_manifest_in_deploy_k8s_validates_strictly_and_round_trips()
    {
        var files = Directory.GetFiles(Manifests.K8sDir, "*.yaml").Where(f => Path.GetFileName(f) != "kustomization.yaml").ToList();
        Assert.NotEmpty(files);
        foreach (var f in files) Assert.NotEmpty(Manifests.Load(f));
        // The kustomization lists them all: none is left out of `kubectl apply -k`.
        Assert.Equal(files.Select(Path.GetFileName).Order(), Resources().Order());
    }

    [Fact]
    public void Strict_validation_rejects_an_unknown_field()
    {
        var bad = File.ReadAllText(Path.Combine(Manifests.K8sDir, "pdb.yaml")).Replace("maxUnavailable: 1", "maxUnavailable: 1\n  maxUnavialable: 2");
        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(bad, null, strict: true));
        var typo = File.ReadAllText(Path.Combine(Manifests.K8sDir, "daemonset.yaml")).Replace("hostNetwork: true", "hostNetwork: true\n      hostNetwrk: true");
        var path = Path.Combine(Path.GetTempPath(), $"dswitch-bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, typo);
        try { Assert.ThrowsAny<Exception>(() => Manifests.Load(path)); }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Kustomization_builds_every_resource_and_generated_file_exists_and_parses()
    {
        var k = Kustomization();
        Assert.All(k.Keys, key => Assert.Contains(key, KustomizationKeys));
        Assert.Equal("kustomize.config.k8s.io/v1beta1", k["apiVersion"]);
        Assert.Equal("Kustomization", k["kind"]);
        foreach (var r in Resources()) Assert.True(File.Exists(Path.Combine(Manifests.K8sDir, r)), $"resource {r} missing");
        Assert.Equal("dswitch", One<V1Namespace>().Metadata.Name);
        Assert.Equal("dswitch", k["namespace"]);

        var gen = Assert.Single((List<object>)k["configMapGenerator"]);
        var map = (Dictionary<object, object>)gen;
        Assert.Equal("dswitch-config", map["name"]);
        var files = ((List<object>)map["files"]).Cast<string>().Select(f => f.Split('=', 2)).ToDictionary(p => p[0], p => Path.Combine(Manifests.K8sDir, p[^1]));
        Assert.All(files.Values, f => Assert.True(File.Exists(f), $"{f} missing"));
        // Kustomize refuses files outside its root by default.
        Assert.All(files.Values, f => Assert.StartsWith(Manifests.K8sDir, Path.GetFullPath(f)));

        // The generated config is what the node loads from /etc/dswitch (both keys land in one directory), in the
        // environment the DaemonSet gives the pod.
        var dir = Directory.CreateTempSubdirectory("dswitch-cm-").FullName;
        var env = PodEnvironment();
        var saved = env.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var (key, f) in files) File.Copy(f, Path.Combine(dir, key));
            foreach (var (name, value) in env) Environment.SetEnvironmentVariable(name, value);
            // Every "$NAME" in node.json is a variable the DaemonSet sets: none is left for the node to fail on.
            var references = EnvReferences(File.ReadAllText(files["node.json"]));
            Assert.NotEmpty(references);
            Assert.All(references, r => Assert.True(env.ContainsKey(r), $"node.json reads ${r}, which the DaemonSet does not set"));

            var config = NodeConfig.Load(Path.Combine(dir, "node.json"));
            Assert.Equal("worker-1", config.Name);
            Assert.NotEmpty(FlowFile.Load(config.Flows!));
            // The switch's ports are the host's interfaces (live capture), named by the DaemonSet's per-node settings.
            Assert.NotEmpty(config.Ports);
            Assert.All(config.Ports.Values, p => Assert.True(p.Interface is { Length: > 0 } && p.PcapOut is null && p.Vxlan is null && p.Remote is null,
                "every port of the Kubernetes node config is a live interface"));
            Assert.Equal(env["DSWITCH_PORT1_INTERFACE"], config.Ports["1"].Interface);
            Assert.Equal(env["DSWITCH_PORT2_INTERFACE"], config.Ports["2"].Interface);
            Assert.Equal(env["DSWITCH_JOURNAL_CONNECTION"],
                NodeConfig.FromEnvironment(config.Persistence!.ConnectionString, "test", "persistence.connectionString"));
            var options = RunCommand.ClusterOptions(config, global::Switch.Testing.TestPki.Security);
            Assert.Equal("10.1.2.3", options.Host);
            Assert.Empty(options.Seeds);
            var b = Assert.IsType<Switch.Node.Cluster.ClusterBootstrapOptions>(options.Bootstrap);
            Assert.Equal("kubernetes-api", b.Method);
            Assert.Equal("10.1.2.3", b.ManagementHost);
            // A minimum cluster size, not the host count: a DaemonSet on any number of nodes forms one cluster.
            Assert.Equal(2, b.RequiredContactPoints);

            // Ports and names the config uses are the ones the DaemonSet and Services declare.
            var ds = One<V1DaemonSet>();
            var ports = ds.Spec.Template.Spec.Containers.Single().Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
            Assert.Equal(options.Port, ports["akka-remote"]);
            Assert.Equal(b.ManagementPort, ports["management"]);
            Assert.Equal("management", b.PortName);
            Assert.Equal(new Uri(config.Api).Port, ports["https"]);
            // The node's certificate, key and CA, and its tokens, are the Secret volumes the DaemonSet mounts.
            var mounts = ds.Spec.Template.Spec.Containers.Single().VolumeMounts.ToDictionary(m => m.Name, m => m.MountPath);
            var secretOf = ds.Spec.Template.Spec.Volumes.Where(v => v.Secret is not null).ToDictionary(v => v.Name, v => v.Secret.SecretName);
            Assert.Equal(Path.Combine(mounts["pki"], "ca.crt"), config.Security!.Ca);
            Assert.Equal(Path.Combine(mounts["pki"], "tls.crt"), config.Security.Certificate);
            Assert.Equal(Path.Combine(mounts["pki"], "tls.key"), config.Security.Key);
            Assert.Equal(Path.Combine(mounts["tokens"], "tokens.json"), config.Security.Tokens);
            Assert.Equal(("dswitch-tls", "dswitch-api-tokens"), (secretOf["pki"], secretOf["tokens"]));
            Assert.Equal(1654, ds.Spec.Template.Spec.SecurityContext.FsGroup);
            Assert.Equal(string.Format(b.LabelSelector, b.ServiceName), "app=" + ds.Spec.Template.Metadata.Labels["app"]);
            Assert.Equal("dswitch-config", ds.Spec.Template.Spec.Volumes.Single(v => v.ConfigMap is not null).ConfigMap.Name);
            // The pki Job makes exactly the Secrets the DaemonSet mounts.
            var job = One<V1Job>("dswitch-pki");
            Assert.Equal(new[] { "security", "k8s-secrets" }, job.Spec.Template.Spec.Containers.Single().Args.Take(2));
            Assert.Contains(KubernetesSecretsNames, n => n == secretOf["pki"]);
            Assert.Contains(KubernetesSecretsNames, n => n == secretOf["tokens"]);
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
            Directory.Delete(dir, true);
        }

        var image = (Dictionary<object, object>)Assert.Single((List<object>)k["images"]);
        Assert.StartsWith((string)image["name"] + ":", One<V1DaemonSet>().Spec.Template.Spec.Containers.Single().Image);
    }

    [KubectlFact]
    public void Kubectl_kustomize_builds_what_the_in_code_resolution_expects()
    {
        var built = KubernetesYaml.LoadAllFromString(Kubectl.Run("kustomize", Manifests.K8sDir), null, strict: true);
        var listed = All();
        // Every listed object, plus the generated ConfigMap.
        Assert.Equal(listed.Count + 1, built.Count);
        Assert.Equal(listed.Select(o => o.GetType().Name).Append(nameof(V1ConfigMap)).Order(), built.Select(o => o.GetType().Name).Order());
        var metas = built.Cast<IMetadata<V1ObjectMeta>>().ToList();
        Assert.All(metas.Where(m => m is not V1Namespace), m => Assert.Equal("dswitch", m.Metadata.NamespaceProperty));
        Assert.All(metas, m => Assert.Equal("dswitch", m.Metadata.Labels["app.kubernetes.io/name"]));

        // The generated ConfigMap carries the config files as they are, under a content-hashed name the DaemonSet's
        // volume was rewritten to (so a config change rolls the pods).
        var cm = Assert.Single(built.OfType<V1ConfigMap>());
        Assert.Matches("^dswitch-config-[a-z0-9]+$", cm.Metadata.Name);
        Assert.Equal(File.ReadAllText(Path.Combine(Manifests.K8sDir, "config", "node.json")), cm.Data["node.json"]);
        Assert.Equal(File.ReadAllText(Path.Combine(Manifests.K8sDir, "config", "firewall.flows")), cm.Data["firewall.flows"]);
        var ds = built.OfType<V1DaemonSet>().Single();
        Assert.Equal(cm.Metadata.Name, ds.Spec.Template.Spec.Volumes.Single(v => v.ConfigMap is not null).ConfigMap.Name);
        // includeSelectors: false keeps selectors as written (a label added to a selector would orphan running pods).
        Assert.Equal(One<V1DaemonSet>().Spec.Selector.MatchLabels, ds.Spec.Selector.MatchLabels);
        var image = (Dictionary<object, object>)Assert.Single((List<object>)Kustomization()["images"]);
        Assert.Equal($"{image["newName"]}:{image["newTag"]}", ds.Spec.Template.Spec.Containers.Single().Image);
    }

    /// <summary>The switch container's environment as the kubelet would fill it: literal values as written, the
    /// downward API's fields with a node's values, Secret keys from the shipped Secret.</summary>
    private static Dictionary<string, string> PodEnvironment()
    {
        var fields = new Dictionary<string, string> { ["status.podIP"] = "10.1.2.3", ["spec.nodeName"] = "worker-1", ["metadata.name"] = "dswitch-x7k2p" };
        var secrets = All().OfType<V1Secret>().ToDictionary(s => s.Metadata.Name);
        var env = new Dictionary<string, string>();
        foreach (var e in One<V1DaemonSet>().Spec.Template.Spec.Containers.Single().Env)
            env[e.Name] = e.Value ?? (e.ValueFrom?.FieldRef is { } f ? fields[f.FieldPath]
                : e.ValueFrom?.SecretKeyRef is { } k ? secrets[k.Name].StringData[k.Key]
                : throw new Xunit.Sdk.XunitException($"env {e.Name}: no value the test knows how to fill"));
        return env;
    }

    /// <summary>The variable names of every string value "$NAME" in a JSON document.</summary>
    private static List<string> EnvReferences(string json)
    {
        var names = new List<string>();
        void Walk(System.Text.Json.JsonElement e)
        {
            switch (e.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Object: foreach (var p in e.EnumerateObject()) Walk(p.Value); break;
                case System.Text.Json.JsonValueKind.Array: foreach (var i in e.EnumerateArray()) Walk(i); break;
                case System.Text.Json.JsonValueKind.String when e.GetString() is ['$', .. var name] && name.Length > 0: names.Add(name); break;
            }
        }
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Walk(doc.RootElement);
        return names;
    }

    [Fact]
    public void DaemonSet_runs_on_the_host_network_with_capture_capabilities_probes_resources_over_tls()
    {
        var ds = One<V1DaemonSet>();
        var pod = ds.Spec.Template.Spec;
        Assert.True(pod.HostNetwork);
        Assert.Equal("ClusterFirstWithHostNet", pod.DnsPolicy);
        Assert.True(pod.TerminationGracePeriodSeconds >= 30);
        Assert.All(ds.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, ds.Spec.Template.Metadata.Labels[kv.Key]));
        Assert.Equal(One<V1ServiceAccount>("dswitch").Metadata.Name, pod.ServiceAccountName);

        var c = pod.Containers.Single();
        Assert.Equal("/health/ready", c.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/health/live", c.LivenessProbe.HttpGet.Path);
        Assert.Equal("https", c.ReadinessProbe.HttpGet.Port.Value);
        Assert.All(new[] { c.ReadinessProbe, c.LivenessProbe, c.StartupProbe }, p => Assert.Equal("HTTPS", p.HttpGet.Scheme));
        Assert.Contains(c.Ports, p => p.Name == "https");
        foreach (var r in new[] { "cpu", "memory" })
        {
            Assert.True(c.Resources.Requests.ContainsKey(r), $"request {r}");
            Assert.True(c.Resources.Limits.ContainsKey(r), $"limit {r}");
            Assert.True(c.Resources.Requests[r].ToDecimal() <= c.Resources.Limits[r].ToDecimal());
        }
        Assert.Equal(new[] { "NET_ADMIN", "NET_RAW" }, c.SecurityContext.Capabilities.Add.Order());
        Assert.Equal(new[] { "ALL" }, c.SecurityContext.Capabilities.Drop);
        Assert.True(c.SecurityContext.RunAsNonRoot);
        Assert.Contains(c.Env, e => e.Name == "POD_IP" && e.ValueFrom.FieldRef.FieldPath == "status.podIP");

        // No scrape annotation: annotation-based scraping cannot send the reader token /metrics needs.
        Assert.False(ds.Spec.Template.Metadata.Annotations?.ContainsKey("prometheus.io/scrape") == true);
    }

    private static readonly string[] KubernetesSecretsNames =
    {
        Switch.Node.Security.KubernetesSecrets.CaSecret, Switch.Node.Security.KubernetesSecrets.TlsSecret,
        Switch.Node.Security.KubernetesSecrets.TokensSecret, Switch.Node.Security.KubernetesSecrets.AdminSecret,
    };

    [Fact]
    public void Remoting_and_management_are_admitted_only_from_switch_pods_and_the_api_only_on_tls()
    {
        var np = One<V1NetworkPolicy>("dswitch");
        var ds = One<V1DaemonSet>();
        Assert.All(np.Spec.PodSelector.MatchLabels, kv => Assert.Equal(kv.Value, ds.Spec.Template.Metadata.Labels[kv.Key]));
        var ports = ds.Spec.Template.Spec.Containers.Single().Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        var fromPods = np.Spec.Ingress.Single(r => r.FromProperty is { Count: > 0 });
        Assert.Equal(new[] { ports["akka-remote"], ports["management"] }.Order(), fromPods.Ports.Select(p => int.Parse(p.Port.Value)).Order());
        Assert.Equal("dswitch", fromPods.FromProperty.Single().PodSelector.MatchLabels["app"]);
        var open = np.Spec.Ingress.Single(r => r.FromProperty is null or { Count: 0 });
        Assert.Equal(ports["https"], int.Parse(Assert.Single(open.Ports).Port.Value));
        var control = One<V1Service>("dswitch-control");
        Assert.Equal("https", Assert.Single(control.Spec.Ports).TargetPort.Value);
        // The Job may read and create Secrets in its namespace, nothing else; the switch itself gets no Secret access.
        var rule = Assert.Single(One<V1Role>("dswitch-pki").Rules);
        Assert.Equal(new[] { "secrets" }, rule.Resources);
        Assert.Equal(new[] { "create", "get" }, rule.Verbs.Order());
        Assert.DoesNotContain(One<V1Role>("dswitch-pod-reader").Rules, r => r.Resources.Contains("secrets"));
    }

    [Fact]
    public void Services_select_the_switch_pods_and_name_their_ports()
    {
        var ds = One<V1DaemonSet>();
        var labels = ds.Spec.Template.Metadata.Labels;
        var portNames = ds.Spec.Template.Spec.Containers.Single().Ports.Select(p => p.Name).ToHashSet();
        var headless = One<V1Service>("dswitch");
        Assert.Equal("None", headless.Spec.ClusterIP);
        Assert.True(headless.Spec.PublishNotReadyAddresses);
        Assert.Equal(new[] { "akka-remote", "management" }, headless.Spec.Ports.Select(p => p.Name).Order());
        var control = One<V1Service>("dswitch-control");
        Assert.Equal("https", Assert.Single(control.Spec.Ports).TargetPort.Value);
        foreach (var s in new[] { headless, control })
        {
            Assert.All(s.Spec.Selector, kv => Assert.Equal(kv.Value, labels[kv.Key]));
            Assert.All(s.Spec.Ports, p => Assert.Contains(p.TargetPort.Value, portNames));
        }
        var pdb = One<V1PodDisruptionBudget>();
        Assert.All(pdb.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, labels[kv.Key]));
    }

    [Fact]
    public void Rbac_grants_only_pod_get_watch_list_to_the_switch_service_account()
    {
        var role = One<V1Role>("dswitch-pod-reader");
        var rule = Assert.Single(role.Rules);
        Assert.Equal(new[] { "" }, rule.ApiGroups);
        Assert.Equal(new[] { "pods" }, rule.Resources);
        Assert.Equal(new[] { "get", "list", "watch" }, rule.Verbs.Order());
        var binding = One<V1RoleBinding>("dswitch-pod-reader");
        Assert.Equal(("Role", role.Metadata.Name), (binding.RoleRef.Kind, binding.RoleRef.Name));
        var subject = Assert.Single(binding.Subjects);
        Assert.Equal(("ServiceAccount", One<V1ServiceAccount>("dswitch").Metadata.Name), (subject.Kind, subject.Name));
        Assert.DoesNotContain(All(), o => o is V1ClusterRole or V1ClusterRoleBinding);
    }

    [Fact]
    public void Postgres_statefulset_uses_its_headless_service_and_secret_keys_that_exist()
    {
        var sts = One<V1StatefulSet>("postgres");
        Assert.Equal("None", One<V1Service>(sts.Spec.ServiceName).Spec.ClusterIP);
        Assert.NotEmpty(sts.Spec.VolumeClaimTemplates);
        var secret = One<V1Secret>("dswitch-postgres");
        var refs = All().OfType<V1DaemonSet>().SelectMany(d => d.Spec.Template.Spec.Containers)
            .Concat(sts.Spec.Template.Spec.Containers)
            .SelectMany(c => c.Env ?? new List<V1EnvVar>()).Where(e => e.ValueFrom?.SecretKeyRef is not null).Select(e => e.ValueFrom.SecretKeyRef).ToList();
        Assert.NotEmpty(refs);
        Assert.All(refs, r => Assert.True(r.Name == secret.Metadata.Name && secret.StringData.ContainsKey(r.Key), $"secret key {r.Name}/{r.Key}"));
    }

    [Fact]
    public void Dockerfile_is_multi_stage_copies_existing_paths_and_runs_as_the_app_user()
    {
        var lines = File.ReadAllLines(Path.Combine(Manifests.RepoRoot, "deploy", "Dockerfile")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.True(lines.Count(l => l.StartsWith("FROM ")) >= 2, "multi-stage");
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ") && !l.Contains("--from=")))
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            Assert.All(parts, p => Assert.True(File.Exists(Path.Combine(Manifests.RepoRoot, p)) || Directory.Exists(Path.Combine(Manifests.RepoRoot, p)), $"COPY source {p} missing"));
        }
        Assert.Contains("USER $APP_UID", lines);
        Assert.Contains(lines, l => l.StartsWith("ENTRYPOINT") && l.Contains("dswitch.dll"));
        Assert.Contains(lines, l => l.Contains("setcap cap_net_raw,cap_net_admin+eip"));
        var ignore = File.ReadAllLines(Path.Combine(Manifests.RepoRoot, "deploy", "Dockerfile.dockerignore"));
        // Build output and local state never enter the context (a stale obj/ would also break the restore layer).
        foreach (var pattern in new[] { "**/bin/", "**/obj/", "**/out/", "**/TestResults/", ".git/" }) Assert.Contains(pattern, ignore);
        // BuildKit reads deploy/Dockerfile.dockerignore for this Dockerfile; other builders read only the root's.
        Assert.Equal(ignore, File.ReadAllLines(Path.Combine(Manifests.RepoRoot, ".dockerignore")));
        // The runtime stage's base is Ubuntu: the libpcap package goes by its Ubuntu 24.04 name there.
        Assert.Contains(lines, l => l.StartsWith("FROM ") && l.Contains("aspnet:10.0-noble"));
        Assert.Contains(lines, l => l.Contains("libpcap0.8t64"));
    }
}
