using System.Net;
using Switch.Core.Datapath;
using Switch.Core.Packets;
using Switch.Core.Ports;

namespace Switch.Node;

/// <summary>
/// Opens a node's configured ports: live interfaces, VXLAN tunnels, ports on other nodes, pcap captures. Receiving
/// ports are opened but not started: the caller wires where their frames go first (<see cref="Start"/>).
/// </summary>
public static class NodePorts
{
    public const int VxlanPort = 4789;

    public static List<IPort> Open(NodeConfig config)
    {
        var ports = new List<IPort>();
        try
        {
            // Tunnels first: a remote port needs its tunnel.
            foreach (var (key, p) in config.Ports.OrderBy(kv => kv.Value.Vxlan is null))
            {
                uint no = NodeConfig.PortNumber(key)!.Value;
                string name = OfPorts.Name(no);
                if (p.Interface is { } iface) ports.Add(LivePort.Open(no, name, iface, p.Mtu));
                else if (p.Vxlan is { } vx)
                    ports.Add(new Core.Ports.VxlanPort(no, name, Endpoint(vx.Local, $"ports.{key}.vxlan.local"), vx.Vni,
                        vx.Remotes.Select(r => Endpoint(r, $"ports.{key}.vxlan.remotes")).ToList(), p.Mtu));
                else if (p.Remote is { } remote)
                {
                    var tunnel = ports.OfType<Core.Ports.VxlanPort>().FirstOrDefault(t => t.Number == p.Tunnel)
                        ?? throw new UsageException($"ports.{key}.tunnel: no VXLAN port {p.Tunnel}");
                    ports.Add(new RemotePort(no, name, tunnel, Endpoint(remote, $"ports.{key}.remote"), p.Mtu));
                }
                else if (p.PcapOut is null) ports.Add(new InMemoryPort(no, name, p.Mtu, InMemoryPort.NodeKeep));
                else
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(p.PcapOut))!);
                    ports.Add(new PcapFilePort(no, name, p.PcapOut, p.Mtu));
                }
            }
        }
        catch (PortOpenException e)
        {
            foreach (var p in ports) p.Dispose();
            throw new UsageException(e.Message);
        }
        catch
        {
            foreach (var p in ports) p.Dispose();
            throw;
        }
        return ports;
    }

    /// <summary>Points every receiving port at <paramref name="receive"/>, and deliveries from other nodes straight at
    /// the local port they name, then starts them.</summary>
    public static void Start(IReadOnlyList<IPort> ports, Action<Packet> receive, Action<uint, Packet> deliver)
    {
        foreach (var p in ports.OfType<IReceivingPort>())
        {
            p.Receive = receive;
            if (p is Core.Ports.VxlanPort v) v.Deliver = deliver;
        }
        foreach (var p in ports.OfType<IReceivingPort>()) p.Start();
    }

    /// <summary>"IP" or "IP:PORT" (4789 by default).</summary>
    public static IPEndPoint Endpoint(string text, string where)
    {
        if (IPAddress.TryParse(text, out var a)) return new IPEndPoint(a, VxlanPort);
        if (IPEndPoint.TryParse(text, out var ep)) return ep;
        throw new UsageException($"{where}: expected IP or IP:PORT, got '{text}'");
    }
}
