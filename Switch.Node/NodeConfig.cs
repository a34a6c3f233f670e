using System.Text.Json;
using System.Text.Json.Serialization;
using Switch.Core.Datapath;

namespace Switch.Node;

/// <summary>
/// `dswitch run --config FILE`: what a node is and serves. JSON, camelCase; an unknown field is an error (a
/// typo must not silently fall back to a default). Relative paths are relative to the config file.
/// <code>{"name":"n1","api":"https://127.0.0.1:8080","security":{"dir":"pki"},"flows":"fw.flows","ports":{"1":{"pcapOut":"out/port-1.pcap","mtu":1500}}}</code>
/// </summary>
public sealed record NodeConfig
{
    public const string DefaultApi = "https://127.0.0.1:8080";

    /// <summary>The node's name in answers and the ready line.</summary>
    public string Name { get; init; } = "node";
    /// <summary>Where the control API listens (https only; port 0 picks a free port, printed when ready).</summary>
    public string Api { get; init; } = DefaultApi;
    /// <summary>A flow file (ovs-ofctl add-flow lines) loaded at start.</summary>
    public string? Flows { get; init; }
    /// <summary>Configured ports by number. A flow's output to a port not listed here goes nowhere (counted as the drop
    /// reason no_such_port), as in OVS.</summary>
    public Dictionary<string, NodeConfigPort> Ports { get; init; } = new();
    /// <summary>When present, the node is a cluster member (see <see cref="NodeConfigCluster"/>).</summary>
    public NodeConfigCluster? Cluster { get; init; }
    /// <summary>Conntrack limits (see <see cref="NodeConfigConntrack"/>); absent, the kernel's defaults.</summary>
    public NodeConfigConntrack? Conntrack { get; init; }
    /// <summary>Cluster only: the conntrack journal (see <see cref="NodeConfigPersistence"/>); absent, state lives in memory.</summary>
    public NodeConfigPersistence? Persistence { get; init; }
    /// <summary>Certificates and API tokens (see <see cref="NodeConfigSecurity"/>). Required: a node without them does not start.</summary>
    public NodeConfigSecurity? Security { get; init; }

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
            Security = c.Security?.Resolved(dir),
            Persistence = c.Persistence is { Provider: "sqlite" } p && p.ConnectionString.StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase)
                ? p with { ConnectionString = "Data Source=" + Path.Combine(dir, p.ConnectionString["Data Source=".Length..].Split(';')[0])
                    + (p.ConnectionString.Contains(';') ? p.ConnectionString[p.ConnectionString.IndexOf(';')..] : "") }
                : c.Persistence,
            // "$NAME" interfaces: on Kubernetes each host's NIC names come from the DaemonSet's environment.
            Ports = c.Ports.ToDictionary(p => p.Key, p => p.Value with
            {
                PcapOut = p.Value.PcapOut is null ? null : Path.Combine(dir, p.Value.PcapOut),
                Interface = p.Value.Interface is { } i ? FromEnvironment(i, path, $"ports.{p.Key}.interface") : null,
            }),
        };
        c.Validate(path);
        return c;
    }

    public void Validate(string source)
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new UsageException($"{source}: name must not be empty");
        if (!Uri.TryCreate(Api, UriKind.Absolute, out var u) || u.Scheme != Uri.UriSchemeHttps)
            throw new UsageException($"{source}: api must be an https:// URL (the control API serves TLS only), got '{Api}'");
        if (Security is null)
            throw new UsageException($"{source}: a security section is required: `dswitch security init --out DIR` writes a CA, "
                + "this host's certificate and API tokens; then add \"security\": {\"dir\": \"DIR\"} (README: Security)");
        Security.Validate(source);
        Conntrack?.Validate(source);
        if (Cluster is { } cl)
        {
            if (cl.Port is < 0 or > 65535) throw new UsageException($"{source}: cluster.port must be 0-65535, got {cl.Port}");
            if (cl.Shards < 1) throw new UsageException($"{source}: cluster.shards must be at least 1, got {cl.Shards}");
            foreach (var seed in cl.Seeds)
                if (!seed.StartsWith(Switch.Node.Cluster.ClusterNodeOptions.Scheme + "://dswitch@", StringComparison.Ordinal))
                    throw new UsageException($"{source}: cluster.seeds: expected {Switch.Node.Cluster.ClusterNodeOptions.Scheme}://dswitch@HOST:PORT (remoting is TLS), got '{seed}'");
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
        if (Persistence is { } ps)
        {
            if (Cluster is null) throw new UsageException($"{source}: persistence needs a cluster section (a single node keeps conntrack in memory)");
            if (ps.Provider is not ("sqlite" or "postgres")) throw new UsageException($"{source}: persistence.provider must be sqlite or postgres, got '{ps.Provider}'");
            if (string.IsNullOrWhiteSpace(ps.ConnectionString)) throw new UsageException($"{source}: persistence.connectionString is required");
        }
        foreach (var (key, p) in Ports)
        {
            if (PortNumber(key) is null)
                throw new UsageException($"{source}: ports: expected a port number 1-{OfPorts.Max - 1} or LOCAL, got '{key}'");
            if (p.Mtu < 0) throw new UsageException($"{source}: ports.{key}.mtu must be 0 (no limit) or more, got {p.Mtu}");
            int kinds = (p.Interface is null ? 0 : 1) + (p.Vxlan is null ? 0 : 1) + (p.Remote is null ? 0 : 1);
            if (kinds > 1) throw new UsageException($"{source}: ports.{key}: give only one of interface, vxlan, remote");
            if (p.Interface is { Length: 0 }) throw new UsageException($"{source}: ports.{key}.interface must not be empty");
            if (p.Remote is not null && !Ports.Any(o => o.Value.Vxlan is not null && PortNumber(o.Key) == p.Tunnel))
                throw new UsageException($"{source}: ports.{key}.tunnel must name a vxlan port, got {p.Tunnel}");
            if (p.Vxlan is { } vx)
            {
                NodePorts.Endpoint(vx.Local, $"{source}: ports.{key}.vxlan.local");
                foreach (var r in vx.Remotes) NodePorts.Endpoint(r, $"{source}: ports.{key}.vxlan.remotes");
                if (vx.Vni >= Core.Ports.VxlanPort.DeliveryVniBase)
                    throw new UsageException($"{source}: ports.{key}.vxlan.vni must be below {Core.Ports.VxlanPort.DeliveryVniBase}, got {vx.Vni}");
            }
        }
    }

    /// <summary><c>$NAME</c> reads environment variable NAME (on Kubernetes: the downward API's NODE_NAME, POD_IP, the
    /// DaemonSet's interface names); anything else is taken as written. Substituted fields: <c>name</c>,
    /// <c>ports.N.interface</c>, <c>cluster.host</c>, <c>persistence.connectionString</c>.</summary>
    public static string FromEnvironment(string value, string source, string field)
    {
        if (!value.StartsWith('$') || value.Length < 2) return value;
        return Environment.GetEnvironmentVariable(value[1..]) is { Length: > 0 } v ? v
            : throw new UsageException($"{source}: {field}: environment variable {value[1..]} is not set");
    }

    public static uint? PortNumber(string key) =>
        OfPorts.Parse(key) is uint n && n != 0 && (n < OfPorts.Max || n == OfPorts.Local) ? n : null;
}

/// <summary>The conntrack table's bounds. <c>maxConnections</c> is nf_conntrack_max: on a single node the table's limit
/// (an unassured connection is early-dropped to make room, else the new one is refused); on a cluster member the
/// limit of the connections it hosts (a new connection beyond it is refused and its packet dropped as ct_table_full).</summary>
public sealed record NodeConfigConntrack
{
    public int MaxConnections { get; init; } = Switch.Core.Conntrack.ConntrackSettings.Default.MaxConnections;

    /// <summary>Timeouts in seconds by the nf_conntrack sysctl's name without its prefix (<c>tcp_timeout_syn_sent</c>
    /// for net.netfilter.nf_conntrack_tcp_timeout_syn_sent, <c>udp_timeout</c>, <c>generic_timeout</c>, …); the
    /// ones not named keep the Linux defaults.</summary>
    public Dictionary<string, int>? Timeouts { get; init; }

    /// <summary>The sysctl names <see cref="Timeouts"/> takes, and the field each sets.</summary>
    public static readonly IReadOnlyDictionary<string, Func<Switch.Core.Conntrack.CtTimeouts, TimeSpan, Switch.Core.Conntrack.CtTimeouts>> TimeoutNames =
        new Dictionary<string, Func<Switch.Core.Conntrack.CtTimeouts, TimeSpan, Switch.Core.Conntrack.CtTimeouts>>
        {
            ["tcp_timeout_syn_sent"] = (t, v) => t with { TcpSynSent = v, TcpSynSent2 = v },
            ["tcp_timeout_syn_recv"] = (t, v) => t with { TcpSynRecv = v },
            ["tcp_timeout_established"] = (t, v) => t with { TcpEstablished = v },
            ["tcp_timeout_fin_wait"] = (t, v) => t with { TcpFinWait = v },
            ["tcp_timeout_close_wait"] = (t, v) => t with { TcpCloseWait = v },
            ["tcp_timeout_last_ack"] = (t, v) => t with { TcpLastAck = v },
            ["tcp_timeout_time_wait"] = (t, v) => t with { TcpTimeWait = v },
            ["tcp_timeout_close"] = (t, v) => t with { TcpClose = v },
            ["tcp_timeout_max_retrans"] = (t, v) => t with { TcpRetrans = v },
            ["tcp_timeout_unacknowledged"] = (t, v) => t with { TcpUnack = v },
            ["udp_timeout"] = (t, v) => t with { UdpUnreplied = v },
            ["udp_timeout_stream"] = (t, v) => t with { UdpStream = v },
            ["icmp_timeout"] = (t, v) => t with { Icmp = v },
            ["icmpv6_timeout"] = (t, v) => t with { Icmpv6 = v },
            ["gre_timeout"] = (t, v) => t with { GreUnreplied = v },
            ["gre_timeout_stream"] = (t, v) => t with { GreStream = v },
            ["generic_timeout"] = (t, v) => t with { Generic = v },
        };

    public void Validate(string source)
    {
        if (MaxConnections < 1)
            throw new UsageException($"{source}: conntrack.maxConnections must be at least 1, got {MaxConnections}");
        foreach (var (name, secs) in Timeouts ?? new())
        {
            if (!TimeoutNames.ContainsKey(name))
                throw new UsageException($"{source}: conntrack.timeouts: unknown timeout '{name}', expected one of {string.Join(", ", TimeoutNames.Keys)}");
            if (secs < 1) throw new UsageException($"{source}: conntrack.timeouts.{name} must be at least 1 second, got {secs}");
        }
    }

    public Switch.Core.Conntrack.ConntrackSettings Settings()
    {
        var t = Switch.Core.Conntrack.CtTimeouts.LinuxDefaults;
        foreach (var (name, secs) in Timeouts ?? new()) t = TimeoutNames[name](t, TimeSpan.FromSeconds(secs));
        return new() { MaxConnections = MaxConnections, Timeouts = t };
    }
}
