using System.Text.Json;
using System.Text.Json.Serialization;
using Switch.Actors.Datapath;
using Switch.Node.Commands;

namespace Switch.Node;

/// <summary>
/// `dswitch run --config FILE`: what a node is and serves. JSON, camelCase; an unknown field is an error (a
/// typo must not silently fall back to a default). Relative paths are relative to the config file.
/// <code>{"name":"n1","api":"http://127.0.0.1:8080","flows":"fw.flows","ports":{"1":{"pcapOut":"out/port-1.pcap","mtu":1500}}}</code>
/// </summary>
public sealed record NodeConfig
{
    public const string DefaultApi = "http://127.0.0.1:8080";

    /// <summary>The node's name in answers and the ready line.</summary>
    public string Name { get; init; } = "node";
    /// <summary>Where the control API listens (http only; port 0 picks a free port, printed when ready).</summary>
    public string Api { get; init; } = DefaultApi;
    /// <summary>A flow file (ovs-ofctl add-flow lines) loaded at start.</summary>
    public string? Flows { get; init; }
    /// <summary>Configured ports by number; ports a flow outputs to but not listed here are in-memory.</summary>
    public Dictionary<string, NodeConfigPort> Ports { get; init; } = new();
    /// <summary>When present, the node is a cluster member (see <see cref="NodeConfigCluster"/>).</summary>
    public NodeConfigCluster? Cluster { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and checks a config file; every problem is a <see cref="UsageException"/> naming the file.</summary>
    public static NodeConfig Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"config file '{path}' not found");
        NodeConfig? c;
        try { c = JsonSerializer.Deserialize<NodeConfig>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new UsageException($"{path}: {e.Message}"); }
        if (c is null) throw new UsageException($"{path}: expected a JSON object");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        c = c with
        {
            Name = FromEnvironment(c.Name, path, "name"),
            Flows = c.Flows is null ? null : Path.Combine(dir, c.Flows),
            Ports = c.Ports.ToDictionary(p => p.Key, p => p.Value with { PcapOut = p.Value.PcapOut is null ? null : Path.Combine(dir, p.Value.PcapOut) }),
        };
        c.Validate(path);
        return c;
    }

    public void Validate(string source)
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new UsageException($"{source}: name must not be empty");
        if (!Uri.TryCreate(Api, UriKind.Absolute, out var u) || u.Scheme != Uri.UriSchemeHttp)
            throw new UsageException($"{source}: api must be an http:// URL, got '{Api}'");
        if (Cluster is { } cl)
        {
            if (cl.Port is < 0 or > 65535) throw new UsageException($"{source}: cluster.port must be 0-65535, got {cl.Port}");
            if (cl.Shards < 1) throw new UsageException($"{source}: cluster.shards must be at least 1, got {cl.Shards}");
            foreach (var seed in cl.Seeds)
                if (!seed.StartsWith("akka.tcp://dswitch@", StringComparison.Ordinal))
                    throw new UsageException($"{source}: cluster.seeds: expected akka.tcp://dswitch@HOST:PORT, got '{seed}'");
            if (cl.Bootstrap is { } b)
            {
                if (cl.Seeds.Count > 0) throw new UsageException($"{source}: cluster: give seeds or bootstrap, not both");
                if (b.Method is not ("kubernetes-api" or "config"))
                    throw new UsageException($"{source}: cluster.bootstrap.method: expected kubernetes-api or config, got '{b.Method}'");
                if (b.Method == "config" && b.Endpoints.Count == 0)
                    throw new UsageException($"{source}: cluster.bootstrap.endpoints: the config method needs the nodes' management HOST:PORT");
                if (b.ManagementPort is < 0 or > 65535) throw new UsageException($"{source}: cluster.bootstrap.managementPort must be 0-65535, got {b.ManagementPort}");
                if (b.RequiredContactPoints < 1) throw new UsageException($"{source}: cluster.bootstrap.requiredContactPoints must be at least 1, got {b.RequiredContactPoints}");
            }
        }
        foreach (var (key, p) in Ports)
        {
            if (PortNumber(key) is null)
                throw new UsageException($"{source}: ports: expected a port number 1-{OfPorts.Max - 1} or LOCAL, got '{key}'");
            if (p.Mtu < 0) throw new UsageException($"{source}: ports.{key}.mtu must be 0 (no limit) or more, got {p.Mtu}");
        }
    }

    /// <summary><c>$NAME</c> reads environment variable NAME (on Kubernetes: the downward API's NODE_NAME, POD_IP);
    /// anything else is taken as written.</summary>
    public static string FromEnvironment(string value, string source, string field)
    {
        if (!value.StartsWith('$') || value.Length < 2) return value;
        return Environment.GetEnvironmentVariable(value[1..]) is { Length: > 0 } v ? v
            : throw new UsageException($"{source}: {field}: environment variable {value[1..]} is not set");
    }

    public static uint? PortNumber(string key) =>
        OfPorts.Parse(key) is uint n && n != 0 && (n < OfPorts.Max || n == OfPorts.Local) ? n : null;
}
