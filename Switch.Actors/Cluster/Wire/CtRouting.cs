using System.Text;
using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Actors.Cluster;

/// <summary>
/// Which entity answers ct for a packet. Connections: the engine's own connection key
/// (<see cref="ConntrackEngine.ConnectionKeyOf"/>: canonical 5-tuple, ICMP echo by requester and id, an ICMP error
/// by the connection its quoted header belongs to), written with the lower endpoint first, so both directions and
/// the errors about them reach one entity. Fragments: the reassembler's own key (zone, addresses,
/// protocol, IP id; IPv6 without the protocol, as the kernel's frag6 key), so fragments entering different nodes meet
/// in one reassembly entity.
/// </summary>
public static class CtRouting
{
    public const string ConnectionPrefix = "c/", FragmentPrefix = "f/";

    public static string EntityId(ReadOnlySpan<byte> frame, in FlowKey k, ushort zone)
    {
        if (k.NwFrag != 0) return FragmentId(frame, k, zone);
        if (ConntrackEngine.ConnectionKeyOf(frame, in k, zone, out var ck)) return ConnectionId(in ck);
        // Tracked by no key (an informational ICMP type, an unreadable L4 header, not IP): the engine answers +inv
        // wherever it is asked; keep such packets of one pair of hosts together.
        UInt128 src = k.IsIpv6 ? k.Ipv6Src : k.NwSrc, dst = k.IsIpv6 ? k.Ipv6Dst : k.NwDst;
        return ConnectionId(zone, k.NwProto, k.IsIpv6, src, 0, dst, 0);
    }

    /// <summary>The entity id of a connection key (the engine's, see <see cref="ConntrackEngine.ConnectionKeyOf"/>).</summary>
    public static string ConnectionId(in ConnKey ck) => ConnectionId(ck.Zone, ck.Proto, ck.IsV6, ck.AddrA, ck.PortA, ck.AddrB, ck.PortB);

    public static string ConnectionId(ushort zone, byte proto, bool v6, UInt128 a, ushort pa, UInt128 b, ushort pb)
    {
        if (a > b || (a == b && pa > pb)) { (a, b) = (b, a); (pa, pb) = (pb, pa); }
        var sb = new StringBuilder(ConnectionPrefix, 96);
        sb.Append(zone).Append('/').Append(proto).Append('/').Append(v6 ? '6' : '4').Append('/');
        sb.Append(a.ToString("x")).Append(':').Append(pa).Append('/').Append(b.ToString("x")).Append(':').Append(pb);
        return sb.ToString();
    }

    /// <summary>The reassembly entity of a fragment: the reassembler's own key (<see cref="Reassembler.KeyOf"/>).</summary>
    private static string FragmentId(ReadOnlySpan<byte> f, in FlowKey k, ushort zone)
    {
        // A fragment that cannot be keyed is dropped (frag_invalid) wherever it arrives: keep one pair's together.
        if (!Reassembler.KeyOf(f, in k, zone, out var fk))
            fk = new FragKey(zone, k.IsIpv6, k.IsIpv6 ? k.Ipv6Src : k.NwSrc, k.IsIpv6 ? k.Ipv6Dst : k.NwDst, k.IsIpv6 ? (byte)0 : k.NwProto, 0);
        return $"{FragmentPrefix}{fk.Zone}/{(fk.IsV6 ? '6' : '4')}/{fk.Src:x}/{fk.Dst:x}/{fk.Proto}/{fk.Id:x}";
    }

    /// <summary>Stable shard id (FNV-1a, never string.GetHashCode, which differs per process).</summary>
    public static string ShardId(string entityId, int shards)
    {
        uint h = 2166136261;
        foreach (char c in entityId) { h ^= c; h *= 16777619; }
        return (h % (uint)shards).ToString();
    }
}
