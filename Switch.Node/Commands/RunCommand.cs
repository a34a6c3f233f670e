using Microsoft.Extensions.Hosting;
using Switch.Core.Ports;
using Switch.Node.Control;

namespace Switch.Node.Commands;

/// <summary>
/// `dswitch run --config FILE [--api URL] [--flows FILE]`: one node serving the control API until SIGINT or
/// SIGTERM. Prints a single line once it answers requests, so scripts and tests can wait for it; on the way
/// out it closes its ports, which completes the pcap captures.
/// </summary>
public static class RunCommand
{
    public static int Run(string[] argv, TextWriter output)
    {
        var a = new Args(argv, Array.Empty<string>(), new[] { "config", "api", "flows", "security" });
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        var path = a.Get("config");
        var config = path is null ? new NodeConfig() : NodeConfig.Load(path);
        config = config with
        {
            Api = a.Get("api") ?? config.Api, Flows = a.Get("flows") ?? config.Flows,
            Security = a.Get("security") is { } dir ? new NodeConfigSecurity { Dir = dir }.Resolved(Environment.CurrentDirectory) : config.Security,
        };
        config.Validate(path ?? "command line");
        return RunAsync(config, output).GetAwaiter().GetResult();
    }

    /// <summary>Runs the node until a signal or <paramref name="stop"/>.</summary>
    public static async Task<int> RunAsync(NodeConfig config, TextWriter output, CancellationToken stop = default)
    {
        if (config.Cluster is not null) return await RunClusterAsync(config, output, stop);
        // Credentials, then flows: a bad file must stop the node before it opens capture files or a port.
        var security = config.Security!.Load();
        var flows = config.Flows is null ? new() : FlowFile.Load(config.Flows);
        using var control = new LocalSwitchControl(config.Name, settings: config.Conntrack?.Settings());
        var ports = NodePorts.Open(config);
        foreach (var p in ports) control.AddPort(p);
        control.Load(flows);
        // Live and tunnel ports feed the datapath from their own threads, through the control's one lock.
        NodePorts.Start(ports, control.ReceiveFrame, control.Deliver);
        bool started = false;
        await using var app = ControlHost.Build(config.Api, control, security, () => Volatile.Read(ref started), new Metrics.NodeMetrics(control.Stats, control.Settings.MaxConnections));
        await app.StartAsync(stop);
        control.ApiUrl = ControlHost.BoundUrl(app);
        Volatile.Write(ref started, true);
        output.WriteLine($"dswitch {config.Name}: control API on {control.ApiUrl}");
        output.Flush();
        await app.WaitForShutdownAsync(stop);
        return 0;
    }

    /// <summary>A cluster member: joins the cluster, serves the same control API over the cluster's state.</summary>
    private static async Task<int> RunClusterAsync(NodeConfig config, TextWriter output, CancellationToken stop)
    {
        var security = config.Security!.Load();
        var flows = config.Flows is null ? null : FlowFile.Load(config.Flows);
        var ports = NodePorts.Open(config);
        var options = ClusterOptions(config, security) with
        {
            // "$NAME" reads the connection string from the environment (on Kubernetes: from a Secret).
            Persistence = config.Persistence is { } ps
                ? new Cluster.PersistenceOptions(ps.Provider, NodeConfig.FromEnvironment(ps.ConnectionString, "config", "persistence.connectionString"))
                : null,
        };
        var node = new Cluster.ClusterNode(options, ports, ct: config.Conntrack?.Settings());
        try
        {
            var control = new Control.ClusterSwitchControl(node, ports);
            await using var app = ControlHost.Build(config.Api, control, security,
                () => node.Cluster.SelfMember.Status == Akka.Cluster.MemberStatus.Up, new Metrics.NodeMetrics(node));
            await node.Bootstrap.WaitAsync(stop);
            await app.StartAsync(stop);
            var url = ControlHost.BoundUrl(app);
            node.Datapath.Tell(new Actors.Cluster.DatapathActor.SetApiUrl(url), Akka.Actor.ActorRefs.NoSender);
            var up = new TaskCompletionSource();
            node.Cluster.RegisterOnMemberUp(() => up.TrySetResult());
            await up.Task.WaitAsync(stop);
            if (flows is not null && flows.Count > 0)
                await control.AddFlowsAsync(new Contracts.Control.AddFlowsRequest(flows.Select(f => f.ToString()).ToList()), stop);
            // The datapath actor is the packet path's serialization: captured frames become its messages.
            var byNumber = ports.ToDictionary(p => p.Number);
            NodePorts.Start(ports, p => node.Datapath.Tell(p, Akka.Actor.ActorRefs.NoSender),
                (no, p) => { if (byNumber.TryGetValue(no, out var port)) port.Send(p); });
            output.WriteLine($"dswitch {config.Name}: control API on {url}, cluster member {node.Address}");
            output.Flush();
            var shutdown = app.WaitForShutdownAsync(stop);
            if (await Task.WhenAny(shutdown, node.System.WhenTerminated) != shutdown && !stop.IsCancellationRequested)
            {
                // Downed (the split-brain resolver chose the other side) or removed: this process can no longer be a
                // member. Exit non-zero so a supervisor (Kubernetes) restarts it and it joins again; staying up would
                // leave a live-looking node that decides nothing.
                Console.Error.WriteLine($"dswitch {config.Name}: this node left the cluster (downed or removed); exiting so it can be restarted");
                await app.StopAsync(CancellationToken.None);
                return 3;
            }
            await shutdown;
        }
        finally
        {
            await node.DisposeAsync();
            foreach (var p in ports) p.Dispose();
        }
        return 0;
    }

    /// <summary>The cluster section as node options: seeds, or bootstrap by discovery.</summary>
    public static Cluster.ClusterNodeOptions ClusterOptions(NodeConfig config, Security.NodeSecurity security)
    {
        var cl = config.Cluster!;
        string host = cl.ResolvedHost();
        Cluster.ClusterBootstrapOptions? bootstrap = null;
        if (cl.Bootstrap is { } b)
            bootstrap = new Cluster.ClusterBootstrapOptions
            {
                Method = b.Method, ServiceName = b.ServiceName, PortName = b.PortName,
                ManagementHost = string.IsNullOrEmpty(b.ManagementHost) ? host : b.ManagementHost, ManagementPort = b.ManagementPort,
                RequiredContactPoints = b.RequiredContactPoints, StableMargin = TimeSpan.FromSeconds(b.StableMarginSeconds),
                LabelSelector = b.LabelSelector, Namespace = b.Namespace, Endpoints = b.Endpoints,
            };
        return new Cluster.ClusterNodeOptions
        {
            Name = config.Name, Host = host, Port = cl.Port, Seeds = cl.Seeds, Shards = cl.Shards,
            StableAfter = TimeSpan.FromSeconds(cl.StableAfterSeconds), Bootstrap = bootstrap, FastPath = cl.FastPath,
            Replicas = cl.Replicas, DownCrashed = cl.DownCrashed, Security = security,
        };
    }
}
