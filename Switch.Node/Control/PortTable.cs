using System.Text;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>`dswitch ctl ports`: one row per port with its counters, in the spirit of `ovs-ofctl dump-ports`.</summary>
public static class PortTable
{
    public static string Format(PortsStatus status)
    {
        var rows = new List<string[]> { new[] { "port", "name", "kind", "detail", "mtu", "rx_pkts", "rx_bytes", "rx_drop", "tx_pkts", "tx_bytes", "tx_drop", "kernel_drop" } };
        foreach (var p in status.Ports)
            rows.Add(new[] { p.Number.ToString(), p.Name, p.Kind, p.Detail.Length == 0 ? "-" : p.Detail, p.Mtu.ToString(),
                p.RxPackets.ToString(), p.RxBytes.ToString(), p.RxDropped.ToString(), p.TxPackets.ToString(), p.TxBytes.ToString(),
                p.TxDropped.ToString(), p.KernelDropped.ToString() });
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder($"node {status.Node}\n");
        foreach (var r in rows)
        {
            var line = new StringBuilder();
            for (int c = 0; c < r.Length; c++)
                line.Append(c >= 4 ? r[c].PadLeft(widths[c]) : r[c].PadRight(widths[c])).Append(c == r.Length - 1 ? "" : "  ");
            sb.AppendLine(line.ToString().TrimEnd());
        }
        return sb.ToString();
    }

    /// <summary>The status line of one port, whatever its kind.</summary>
    public static PortStatus Status(Core.Ports.IPort p)
    {
        var (kind, detail, kdrop) = p switch
        {
            Core.Ports.LivePort l => ("live", l.Interface, l.KernelDropped),
            Core.Ports.VxlanPort v => ("vxlan", $"vni={v.Vni} local={v.Local} remotes={string.Join(",", v.Remotes)}", v.KernelDropped),
            Core.Ports.RemotePort r => ("remote", $"via port {r.Tunnel.Number} to {r.Node}", 0L),
            Core.Ports.PcapFilePort f => ("pcap", f.Path, 0L),
            _ => ("memory", "", 0L),
        };
        var c = p.Counters;
        return new PortStatus(p.Number, p.Name, kind, detail, p.Mtu, Interlocked.Read(ref c.RxPackets), Interlocked.Read(ref c.RxBytes),
            Interlocked.Read(ref c.RxDropped), Interlocked.Read(ref c.TxPackets), Interlocked.Read(ref c.TxBytes), Interlocked.Read(ref c.TxDropped), kdrop);
    }
}
