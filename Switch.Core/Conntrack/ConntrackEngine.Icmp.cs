using System.Buffers.Binary;
using Switch.Core.Packets;
using Switch.Contracts;

namespace Switch.Core.Conntrack;

public sealed partial class ConntrackEngine
{
    /// <summary>
    /// nf_conntrack_inet_error: an ICMP/ICMPv6 error is RELATED to the entry its quoted packet belongs to
    /// (+rpl when the quoted packet's inverse is the entry's reply direction), provided the outer destination is
    /// that direction's destination. Otherwise +trk+inv. Errors never create or refresh entries.
    /// </summary>
    private CtOutcome TrackIcmpError(ref FlowKey key, in L4View v, in CtRequest req, long now)
    {
        ushort zone = req.Zone;
        if (!QuotedTuple(v.Payload, v.IsV6, out var inner)) return Invalid(ref key, zone);

        if (!QuotedKey(in inner, zone, out var ck, out bool fromA)) return Invalid(ref key, zone);
        int dir;
        var c = Lookup(in ck, now);
        if (c == null) return Invalid(ref key, zone);
        dir = inner.IsIcmp ? (fromA ? 0 : 1) : (fromA == c.OrigIsA ? 0 : 1);
        // The found direction's destination (the quoted source) must be where the error is going.
        if (inner.Src != v.Dst) return Invalid(ref key, zone);

        byte state = CtStateBits.Related;
        if (dir == 1) state |= CtStateBits.ReplyDir;
        if (req.Commit) ApplyMarkLabel(c, in req);
        SetKey(ref key, state, zone, c, c.Label);
        return CtOutcome.Continue;
    }

    /// <summary>The key of the connection an ICMP error belongs to: the inverse of the packet it quotes (a quoted
    /// request inverts to the reply direction and vice versa). <paramref name="fromA"/>: the error travels from
    /// endpoint A. False for a quote that cannot be tracked (an informational ICMP type).</summary>
    internal static bool QuotedKey(in CtTuple inner, ushort zone, out ConnKey ck, out bool fromA)
    {
        if (inner.IsIcmp)
        {
            if (IcmpTypes.IsRequest(inner.IsV6, inner.IcmpType))
            {
                ck = new ConnKey(zone, inner.Proto, inner.IsV6, inner.Src, inner.Dst, inner.IcmpId,
                    (ushort)((inner.IcmpType << 8) | inner.IcmpCode));
                fromA = false;
                return true;
            }
            if (IcmpTypes.IsReply(inner.IsV6, inner.IcmpType))
            {
                byte rq = IcmpTypes.Invert(inner.IsV6, inner.IcmpType);
                ck = new ConnKey(zone, inner.Proto, inner.IsV6, inner.Dst, inner.Src, inner.IcmpId, (ushort)((rq << 8) | inner.IcmpCode));
                fromA = true;
                return true;
            }
            ck = default; fromA = false;
            return false;
        }
        // Inverse of the quoted tuple: dst -> src.
        ck = ConnKey.Canonical(zone, inner.Proto, inner.IsV6, inner.Dst, inner.Src, inner.DstPort, inner.SrcPort, out fromA);
        return true;
    }

    /// <summary>
    /// The key of the connection <paramref name="key"/>'s packet belongs to, exactly as <see cref="Execute"/> looks it
    /// up (the one key extractor: the cluster routes by it, so a packet, its reply and an ICMP error quoting it reach
    /// the entity that holds the connection). False for what the engine tracks by no key: not IP, a fragment (keyed
    /// after reassembly), an informational ICMP type, an L4 header that cannot be read.
    /// </summary>
    public static bool ConnectionKeyOf(ReadOnlySpan<byte> frame, in FlowKey key, ushort zone, out ConnKey ck)
    {
        ck = default;
        if (!key.IsIp || key.NwFrag != 0 || key.L3Ofs < 0) return false;
        if (!L4View.Read(frame, in key, verify: false, out var v)) return false;
        if (v.IsIcmpError) return QuotedTuple(v.Payload, v.IsV6, out var inner) && QuotedKey(in inner, zone, out ck, out _);
        return TryKey(in v, zone, out ck, out _);
    }

    /// <summary>The expectation key a new TCP/UDP packet would match (what <c>TrackNew</c> looks up): zone, protocol,
    /// addresses, destination port, from the same L4 view. False for anything else (non-IP, fragments, other protocols).</summary>
    public static bool ExpectKeyOf(ReadOnlySpan<byte> frame, in FlowKey key, ushort zone, out ExpectKey ek)
    {
        ek = default;
        if (!key.IsIp || key.NwFrag != 0 || key.L3Ofs < 0) return false;
        if (!L4View.Read(frame, in key, verify: false, out var v) || v.Proto is not (IpProtos.Tcp or IpProtos.Udp)) return false;
        ek = ExpectKeyOf(in v, zone);
        return true;
    }

    internal static ExpectKey ExpectKeyOf(in L4View v, ushort zone) => new(zone, v.Proto, v.IsV6, v.Src, v.Dst, v.DstPort);

    /// <summary>The tuple of the packet an ICMP error quotes (nf_ct_get_tuplepr on the inner header).
    /// A non-first fragment or a header cut before the ports cannot be tracked.</summary>
    internal static bool QuotedTuple(ReadOnlySpan<byte> q, bool isV6, out CtTuple t)
    {
        t = default;
        byte proto;
        UInt128 src, dst;
        int l4;
        if (!isV6)
        {
            if (q.Length < 20 || q[0] >> 4 != 4) return false;
            int ihl = (q[0] & 0x0f) * 4;
            if (ihl < 20 || q.Length < ihl) return false;
            if ((BinaryPrimitives.ReadUInt16BigEndian(q[6..]) & 0x1fff) != 0) return false;
            proto = q[9];
            src = BinaryPrimitives.ReadUInt32BigEndian(q[12..]);
            dst = BinaryPrimitives.ReadUInt32BigEndian(q[16..]);
            l4 = ihl;
        }
        else
        {
            if (q.Length < 40 || q[0] >> 4 != 6) return false;
            src = BinaryPrimitives.ReadUInt128BigEndian(q[8..]);
            dst = BinaryPrimitives.ReadUInt128BigEndian(q[24..]);
            proto = q[6];
            l4 = 40;
            while (true) // bounded by the quoted packet: each header is at least 8 bytes
            {
                if (proto is IpProtos.HopByHop or IpProtos.Routing or IpProtos.DestOpts)
                {
                    if (q.Length < l4 + 8) return false;
                    proto = q[l4]; l4 += (q[l4 + 1] + 1) * 8;
                }
                else if (proto == IpProtos.Fragment)
                {
                    if (q.Length < l4 + 8) return false;
                    if ((BinaryPrimitives.ReadUInt16BigEndian(q[(l4 + 2)..]) & 0xfff8) != 0) return false;
                    proto = q[l4]; l4 += 8;
                }
                else break;
            }
        }
        if (l4 > q.Length) return false;
        var s = q[l4..];
        bool icmp = proto == (isV6 ? IpProtos.Icmpv6 : IpProtos.Icmp);
        if (icmp)
        {
            if (s.Length < 8) return false;
            t = new CtTuple(isV6, proto, src, dst, 0, 0, BinaryPrimitives.ReadUInt16BigEndian(s[4..]), s[0], s[1]);
            return true;
        }
        if (proto is IpProtos.Tcp or IpProtos.Udp or IpProtos.Sctp)
        {
            if (s.Length < 4) return false;
            t = new CtTuple(isV6, proto, src, dst, BinaryPrimitives.ReadUInt16BigEndian(s), BinaryPrimitives.ReadUInt16BigEndian(s[2..]));
            return true;
        }
        t = new CtTuple(isV6, proto, src, dst, 0, 0);
        return true;
    }
}
