using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Switch.Core.Ports;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;

namespace Switch.Bench;

/// <summary>Cluster members for <see cref="ClusterLoad"/>: in-process ClusterNodes and `dswitch run` child processes.</summary>
public static partial class ClusterLoad
{
    public const int Shards = 30;

    public static int FreePort() => Switch.Node.Cluster.Loopback.FreePort();

    public static string SeedAddress(int port) => LocalCluster.SeedAddress(port);

    /// <summary>An in-process member whose two ports only count (the options <see cref="LocalCluster"/> gives members).</summary>
    public static ClusterNode StartNode(string name, int port, int seedPort, bool fastPath = true, Switch.Core.Conntrack.ConntrackSettings? ct = null) =>
        new(LocalCluster.Member(name, port, seedPort, Switch.Testing.TestPki.Security) with { Shards = Shards, FastPath = fastPath },
            new IPort[] { new NullPort(1), new NullPort(2) }, ct: ct);

    public static Task WaitUpAsync(ClusterNode node, int members, TimeSpan timeout) => LocalCluster.WaitUpAsync(new[] { node }, members, timeout);

    public static async Task AddFlowsAsync(ClusterNode node)
    {
        var r = await node.FlowManagerProxy.Ask<FlowCommandResult>(new FlowCommand(FlowCommandKind.Add, new[] { FlowLine }, false), TimeSpan.FromSeconds(30));
        if (r.Error is not null) throw new InvalidOperationException("add flows: " + r.Error);
    }

    public static Task<NodeInfo> InfoAsync(ClusterNode node) => node.Datapath.Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(10));

    public static async Task DisposeNodeAsync(ClusterNode node)
    {
        try { await node.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60)); }
        catch (TimeoutException) { await node.System.Terminate().WaitAsync(TimeSpan.FromSeconds(30)); }
    }

    /// <summary>Connection entity ids ("c/…") each Up member's conntrack region holds, asked from <paramref name="via"/>;
    /// null for a member that did not answer (e.g. a state larger than a remoting frame).</summary>
    public static async Task<List<(Address Member, int? Connections)>> ConnectionEntitiesAsync(ClusterNode via, TimeSpan timeout)
    {
        var members = via.Cluster.State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.Address).ToList();
        var asks = members.Select(async a =>
        {
            try
            {
                var s = await via.System.ActorSelection(new RootActorPath(a) / "system" / "sharding" / ClusterNode.RegionName)
                    .Ask<CurrentShardRegionState>(GetShardRegionState.Instance, timeout);
                return (a, (int?)s.Shards.Sum(sh => sh.EntityIds.Count(e => e.StartsWith("c/", StringComparison.Ordinal))));
            }
            catch (Exception e) when (e is AskTimeoutException or TimeoutException) { return (a, (int?)null); }
        });
        return (await Task.WhenAll(asks)).ToList();
    }

    /// <summary>Shards (and entity ids) the local region of <paramref name="node"/> hosts.</summary>
    public static async Task<(HashSet<string> Shards, HashSet<string> Entities)> LocalRegionAsync(ClusterNode node)
    {
        var s = await node.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(30));
        return (s.Shards.Select(x => x.ShardId).ToHashSet(), s.Shards.SelectMany(x => x.EntityIds).ToHashSet());
    }

    /// <summary>A `dswitch run --config` child process (the dswitch.dll built next to this bench).</summary>
    public sealed class ChildNode : IDisposable
    {
        private readonly Process _p;
        private readonly StringBuilder _err = new();
        private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string ConfigPath { get; }

        public ChildNode(string name, int port, int seedPort, string dir)
        {
            ConfigPath = Path.Combine(dir, name + ".json");
            File.WriteAllText(ConfigPath,
                "{\"name\":\"" + name + "\",\"api\":\"https://127.0.0.1:0\",\"ports\":{\"1\":{},\"2\":{}}," + Switch.Testing.TestPki.SecurityJson + ","
                + "\"cluster\":{\"host\":\"127.0.0.1\",\"port\":" + port + ",\"seeds\":[\"" + SeedAddress(seedPort) + "\"],\"shards\":" + Shards + "}}");
            var psi = new ProcessStartInfo(DotnetHost())
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            psi.ArgumentList.Add(typeof(Switch.Node.Program).Assembly.Location);
            psi.ArgumentList.Add("run");
            psi.ArgumentList.Add("--config");
            psi.ArgumentList.Add(ConfigPath);
            _p = Process.Start(psi) ?? throw new InvalidOperationException("could not start dswitch");
            _p.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null) { _ready.TrySetException(new InvalidOperationException($"{name} exited: {Tail()}")); return; }
                if (e.Data.Contains("control API on")) _ready.TrySetResult(e.Data);
            };
            _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) { _err.AppendLine(e.Data); if (_err.Length > 8000) _err.Remove(0, 4000); } };
            _p.BeginOutputReadLine();
            _p.BeginErrorReadLine();
        }

        public int Pid => _p.Id;

        public string Tail() { lock (_err) return _err.ToString().Trim(); }

        public Task<string> ReadyAsync(TimeSpan timeout) => _ready.Task.WaitAsync(timeout);

        private static string DotnetHost()
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
            var self = Environment.ProcessPath;
            if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
            return "dotnet";
        }

        public void Dispose()
        {
            try { if (!_p.HasExited) { _p.Kill(entireProcessTree: true); _p.WaitForExit(10_000); } }
            catch (InvalidOperationException) { }
            _p.Dispose();
        }
    }
}
