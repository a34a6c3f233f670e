using Switch.Contracts;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Switch.Actors.Cluster;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;
using Switch.Contracts.Cluster;
using Switch.Node.Cluster;

namespace Switch.Node.Commands;

/// <summary>
/// Replay through a local cluster: N cluster members in this process (real Akka.NET remoting on loopback, sharded
/// conntrack, the fast path as configured by default), formed like `dswitch run` nodes, the flows added through the
/// cluster's flow manager. Frames enter in capture order, port P's frames through member ((P - 1) mod N) + 1, so a
/// connection whose two directions come from two captures is asymmetric across members. Each member writes its own
/// output captures (OUT/n1/port-2.pcap, ...). Needs no privileges: nothing is captured or sent on a real interface.
/// </summary>
public static class ClusterReplayJob
{
    public static async Task<string> RunAsync(ReplayOptions o, int members, TextWriter progress)
    {
        var flows = FlowFile.Load(o.FlowsPath);
        // Checked here (errors name file, line and column), sent in canonical add-flow text.
        var lines = flows.Select(f => f.ToString()).ToArray();
        foreach (var i in o.Inputs)
            if (!File.Exists(i.Path)) throw new UsageException($"capture '{i.Path}' for port {i.Port} not found");
        var portNumbers = ReplayJob.PortNumbers(flows, o.Inputs);
        var ports = new List<PcapFilePort>();
        LocalCluster? cluster = null;
        try
        {
            progress.WriteLine($"local cluster of {members} members forming on 127.0.0.1 (remoting over mutual TLS, a throwaway CA in memory)");
            var forming = LocalCluster.StartAsync(members, m =>
            {
                var dir = Path.Combine(o.OutDir, $"n{m + 1}");
                Directory.CreateDirectory(dir);
                var nodePorts = portNumbers.Select(p => new PcapFilePort(p, OfPorts.Name(p), Path.Combine(dir, $"port-{OfPorts.Name(p)}.pcap"))).ToList();
                ports.AddRange(nodePorts);
                return nodePorts;
            }, opt => opt with
            {
                StableAfter = TimeSpan.FromSeconds(2),
                LogLevel = "OFF", // membership chatter and the shutdown's disassociations are not the replay's output
            });
            try { cluster = await forming; }
            catch (TimeoutException e) { throw new UsageException(e.Message); }
            var nodes = cluster.Nodes;
            var added = await FlowCommandClient.SendAsync(nodes[0].System, nodes[0].FlowManagerProxy, new FlowCommand(FlowCommandKind.Add, lines, false), TimeSpan.FromSeconds(120));
            if (added.Error is not null) throw new UsageException($"{o.FlowsPath}: {added.Error}");
            // The manager answers only once every Up member's datapath acknowledged the version, so there is nothing
            // to wait for here. (The flows a member holds may be fewer than the file's lines: a later line with the
            // same match and priority replaces an earlier one, as ovs-ofctl add-flow does.)

            var perNode = nodes.Select(_ => new NodeTally()).ToArray();
            long frames = 0;
            foreach (var p in new ReplaySource(o.Inputs))
            {
                frames++;
                int m = (int)((p.InPort - 1) % (uint)members);
                var reply = await nodes[m].Datapath.Ask<InjectFramesReply>(new InjectFrames(p.InPort, new[] { p.Span.ToArray() }), TimeSpan.FromSeconds(30));
                perNode[m].Add(reply.Frames[0]);
            }
            var infos = await Task.WhenAll(nodes.Select(n => n.Datapath.Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(10))));
            var sb = new StringBuilder();
            sb.AppendLine($"frames replayed: {frames} through {members} cluster members (port P enters member ((P - 1) mod {members}) + 1)");
            sb.AppendLine();
            sb.AppendLine($"{"member",-8}{"frames in",10}{"out",8}{"dropped",9}  {"ct decisions: local / asked",-28}{"leases",7}  ct_state of the frames");
            for (int m = 0; m < members; m++)
            {
                var t = perNode[m];
                sb.AppendLine($"{nodes[m].Options.Name,-8}{t.In,10}{t.Out,8}{t.Dropped,9}  {$"{infos[m].CtLocal} / {infos[m].CtQueries}",-28}{infos[m].LeasesHeld,7}  " +
                    string.Join(", ", t.States.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}")));
            }
            var drops = perNode.SelectMany(t => t.Drops).GroupBy(kv => kv.Key).Select(g => (g.Key, g.Sum(kv => kv.Value))).OrderBy(x => x.Key, StringComparer.Ordinal).ToList();
            if (drops.Count > 0)
            {
                sb.AppendLine();
                sb.AppendLine($"{"drop reason",-40}{"packets",10}");
                foreach (var (reason, count) in drops) sb.AppendLine($"{reason,-40}{count,10}");
            }
            sb.AppendLine();
            sb.AppendLine($"output captures in {Path.GetFullPath(o.OutDir)}: " + string.Join(", ",
                nodes.Select(n => $"{n.Options.Name}/port-{{{string.Join(",", portNumbers.Select(OfPorts.Name))}}}.pcap")));
            return sb.ToString();
        }
        finally
        {
            if (cluster is not null) await cluster.DisposeAsync();
            foreach (var p in ports) p.Dispose();
        }
    }

    private sealed class NodeTally
    {
        public long In, Out, Dropped;
        public readonly Dictionary<string, long> States = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> Drops = new(StringComparer.Ordinal);

        public void Add(InjectedFrame f)
        {
            In++;
            Out += f.Outputs.Length;
            var st = f.CtState == 0 ? "no ct" : CtStateBits.Format(f.CtState);
            States[st] = States.GetValueOrDefault(st) + 1;
            if (f.Drop is not null) { Dropped++; Drops[f.Drop] = Drops.GetValueOrDefault(f.Drop) + 1; }
        }
    }
}
