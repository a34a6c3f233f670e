using System.Buffers.Binary;
using System.Text;
using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Actors.Cluster;

/// <summary>
/// Which entity answers ct for a packet. Connections: zone + canonical 5-tuple (the lower endpoint first), so
/// both directions reach one entity; ICMP echo by id; an ICMP error by the connection its quoted header
/// belongs to. Fragments: zone + source + destination + protocol + IP id (IPv6: protocol 0, as the kernel's
/// frag6 key), so fragments entering different nodes meet in one reassembly entity.
/// </summary>
public static class CtRouting
{
    public const string ConnectionPrefix = "c/", FragmentPrefix = "f/";

    public static string EntityId(ReadOnlySpan<byte> frame, in FlowKey k, ushort zone)
    {
        if (k.NwFrag != 0) return FragmentId(frame, k, zone);
        if (k.NwProto == (k.IsIpv6 ? IpProtos.Icmpv6 : IpProtos.Icmp) && IcmpTypes.IsError(k.IsIpv6, (byte)k.TpSrc) && k.L7Ofs > 0
            && TryQuoted(frame[k.L7Ofs..(k.L3Ofs + k.L3Len)], k.IsIpv6, zone, out var id)) return id;
        UInt128 src = k.IsIpv6 ? k.Ipv6Src : k.NwSrc, dst = k.IsIpv6 ? k.Ipv6Dst : k.NwDst;
        ushort sp = k.TpSrc, dp = k.TpDst;
        if (k.NwProto is IpProtos.Icmp or IpProtos.Icmpv6)
        {
            // Echo request and reply share the id (first half of the rest of header); the type differs by direction.
            ushort echoId = k.L4Ofs >= 0 && frame.Length >= k.L4Ofs + 6 ? BinaryPrimitives.ReadUInt16BigEndian(frame[(k.L4Ofs + 4)..]) : (ushort)0;
            sp = dp = echoId;
        }
        else if (k.NwProto is not (IpProtos.Tcp or IpProtos.Udp or IpProtos.Sctp)) sp = dp = 0;
        return ConnectionId(zone, k.NwProto, k.IsIpv6, src, sp, dst, dp);
    }

    public static string ConnectionId(ushort zone, byte proto, bool v6, UInt128 a, ushort pa, UInt128 b, ushort pb)
    {
        if (a > b || (a == b && pa > pb)) { (a, b) = (b, a); (pa, pb) = (pb, pa); }
        var sb = new StringBuilder(ConnectionPrefix, 96);
        sb.Append(zone).Append('/').Append(proto).Append('/').Append(v6 ? '6' : '4').Append('/');
        sb.Append(a.ToString("x")).Append(':').Append(pa).Append('/').Append(b.ToString("x")).Append(':').Append(pb);
        return sb.ToString();
    }

    /// <summary>The connection of the header an ICMP error quotes: the engine's own parse of the quoted packet
    /// (<see cref="ConntrackEngine.QuotedTuple"/>, the same IPv6 extension-header walk), so an error routes to the
    /// entity that holds the connection the engine will look it up in.</summary>
    private static bool TryQuoted(ReadOnlySpan<byte> q, bool v6, ushort zone, out string id)
    {
        id = "";
        if (!ConntrackEngine.QuotedTuple(q, v6, out var t)) return false;
        ushort sp = t.IsIcmp ? t.IcmpId : t.SrcPort, dp = t.IsIcmp ? t.IcmpId : t.DstPort;
        id = ConnectionId(zone, t.Proto, v6, t.Src, sp, t.Dst, dp);
        return true;
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
