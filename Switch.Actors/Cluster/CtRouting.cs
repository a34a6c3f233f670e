using System.Buffers.Binary;
using System.Text;
using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Actors.Cluster;

/// <summary>
/// Which entity answers ct for a packet. Connections: the engine's own connection key
/// (<see cref="ConntrackEngine.ConnectionKeyOf"/>: canonical 5-tuple, ICMP echo by requester and id, an ICMP error
/// by the connection its quoted header belongs to), written with the lower endpoint first, so both directions and
/// the errors about them reach one entity. Fragments: zone + source + destination + protocol + IP id (IPv6: protocol 0, as the kernel's
/// frag6 key), so fragments entering different nodes meet in one reassembly entity.
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

    private static string FragmentId(ReadOnlySpan<byte> f, in FlowKey k, ushort zone)
    {
        uint ipId = 0; byte proto = k.NwProto;
        if (k.IsIpv4) ipId = BinaryPrimitives.ReadUInt16BigEndian(f[(k.L3Ofs + 4)..]);
        else
        {
            proto = 0;
            // The parser leaves L4Ofs just past the fragment header, whose last 4 bytes are the identification.
            if (k.L4Ofs >= 8) ipId = BinaryPrimitives.ReadUInt32BigEndian(f[(k.L4Ofs - 4)..]);
        }
        UInt128 src = k.IsIpv6 ? k.Ipv6Src : k.NwSrc, dst = k.IsIpv6 ? k.Ipv6Dst : k.NwDst;
        return $"{FragmentPrefix}{zone}/{(k.IsIpv6 ? '6' : '4')}/{src:x}/{dst:x}/{proto}/{ipId:x}";
    }

    /// <summary>Stable shard id (FNV-1a, never string.GetHashCode, which differs per process).</summary>
    public static string ShardId(string entityId, int shards)
    {
        uint h = 2166136261;
        foreach (char c in entityId) { h ^= c; h *= 16777619; }
        return (h % (uint)shards).ToString();
    }
}
