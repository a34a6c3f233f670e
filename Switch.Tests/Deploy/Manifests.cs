using k8s;
using YamlDotNet.RepresentationModel;
using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>
/// Reads deploy/k8s the way the API server would: every document through the KubernetesClient models in strict
/// mode (an unknown field throws), then a second check that nothing was lost: the YAML tree of each document must
/// reappear, key by key and value by value, in the YAML the model serializes back.
/// </summary>
public static class Manifests
{
    public static string RepoRoot { get; } = FindRoot();
    public static string K8sDir => Path.Combine(RepoRoot, "deploy", "k8s");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "DistSwitch.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root (DistSwitch.sln) not found above " + AppContext.BaseDirectory);
    }

    /// <summary>All objects of one manifest file, validated strictly and by round trip.</summary>
    public static List<object> Load(string path)
    {
        var text = File.ReadAllText(path);
        List<object> objects;
        try { objects = KubernetesYaml.LoadAllFromString(text, null, strict: true); }
        catch (Exception e) { throw new Xunit.Sdk.XunitException($"{Path.GetFileName(path)}: not valid against the Kubernetes models: {e.Message}"); }
        var docs = Documents(text);
        Assert.Equal(docs.Count, objects.Count);
        for (int i = 0; i < docs.Count; i++)
        {
            var back = Documents(KubernetesYaml.Serialize(objects[i]));
            Assert.Single(back);
            Contained(docs[i], back[0], $"{Path.GetFileName(path)}[{i}]");
        }
        return objects;
    }

    public static List<YamlNode> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => d.RootNode).Where(n => n is not YamlScalarNode { Value: null or "" }).ToList();
    }

    /// <summary>Every key and value of <paramref name="original"/> is in <paramref name="roundTrip"/>.</summary>
    public static void Contained(YamlNode original, YamlNode roundTrip, string where)
    {
        switch (original)
        {
            case YamlMappingNode m:
                var r = Assert.IsType<YamlMappingNode>(roundTrip);
                foreach (var (k, v) in m.Children)
                {
                    var key = ((YamlScalarNode)k).Value!;
                    // An empty map ({}) is a valid value the models may drop on output (emptyDir: {}).
                    if (!r.Children.TryGetValue(k, out var rv))
                    {
                        if (v is YamlMappingNode { Children.Count: 0 }) continue;
                        throw new Xunit.Sdk.XunitException($"{where}.{key}: unknown to the Kubernetes model (dropped on round trip)");
                    }
                    Contained(v, rv, $"{where}.{key}");
                }
                break;
            case YamlSequenceNode s:
                var rs = Assert.IsType<YamlSequenceNode>(roundTrip);
                Assert.True(s.Children.Count == rs.Children.Count, $"{where}: {s.Children.Count} items, {rs.Children.Count} after round trip");
                for (int i = 0; i < s.Children.Count; i++) Contained(s.Children[i], rs.Children[i], $"{where}[{i}]");
                break;
            case YamlScalarNode sc:
                var rsc = Assert.IsType<YamlScalarNode>(roundTrip);
                Assert.True(Same(sc.Value, rsc.Value), $"{where}: '{sc.Value}' became '{rsc.Value}'");
                break;
        }
    }

    private static bool Same(string? a, string? b) =>
        a == b || (bool.TryParse(a, out var x) && bool.TryParse(b, out var y) && x == y)
        || (decimal.TryParse(a, out var m) && decimal.TryParse(b, out var n) && m == n);
}
