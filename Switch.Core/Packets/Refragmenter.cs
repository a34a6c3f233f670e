using System.Buffers.Binary;

namespace Switch.Core.Packets;

/// <summary>
/// Output-side fragmentation of a datagram conntrack reassembled (OVS do_output/ovs_fragment): pieces whose
/// L3 size is at most the given MTU, normally the packet's MRU. Like the kernel's ip_do_fragment, which
/// ovs_fragment calls directly, IPv4 is fragmented regardless of DF (the sender did fragment it, and DF
/// survives reassembly only when the largest fragment carried it); fragments keep DF and the IP id, offsets
/// are 8-byte aligned, options without the copy flag become NOPs after the first fragment (ip_options_fragment)
/// and every header checksum is recomputed. IPv6 gets a Fragment header after the unfragmentable part
/// (RFC 8200 4.5) with a fresh identification.
/// </summary>
public static class Refragmenter
{
    private static int _ipv6Id = Environment.TickCount;

    /// <summary>Appends the fragments of <paramref name="p"/> to <paramref name="output"/>. A packet that already
    /// fits is appended unchanged. Returns false (output untouched) when the packet is not IPv4/IPv6 or the MTU
    /// leaves no room for 8 bytes of payload after the headers.</summary>
    public static bool Fragment(Packet p, int mtuL3, List<Packet> output)
    {
        var k = default(FlowKey);
        if (PacketParser.Parse(p.Span, p.InPort, ref k) != ParseResult.Ok && k.L3Len == 0) return false;
        if (!k.IsIp || k.L3Ofs < 0 || k.L3Len == 0) return false;
        if (k.L3Len <= mtuL3) { output.Add(p); return true; }
        return k.IsIpv4 ? FragmentV4(p, k.L3Ofs, mtuL3, output) : FragmentV6(p, k.L3Ofs, mtuL3, output);
    }

    private static bool FragmentV4(Packet p, int o, int mtu, List<Packet> output)
    {
        var f = p.Span;
        int ihl = (f[o] & 0x0f) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 2)..]);
        int per = (mtu - ihl) & ~7;
        if (per < 8) return false;
        ushort fo = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 6)..]);
        bool df = (fo & 0x4000) != 0;
        bool notLast = (fo & 0x2000) != 0; // fragmenting a fragment keeps MF on its last piece
        int baseOfs = (fo & 0x1fff) * 8;
        var data = f[(o + ihl)..(o + total)];
        // Header for the later fragments: options without the copied flag are replaced by NOPs.
        var later = f.Slice(o, ihl).ToArray();
        for (int i = 20; i < ihl;)
        {
            byte t = later[i];
            if (t == 0) break;
            if (t == 1) { i++; continue; }
            int len = i + 1 < ihl ? later[i + 1] : 0;
            if (len < 2 || i + len > ihl) break;
            if ((t & 0x80) == 0) later.AsSpan(i, len).Fill(1);
            i += len;
        }
        for (int at = 0; at < data.Length; at += per)
        {
            int n = Math.Min(per, data.Length - at);
            bool last = at + n >= data.Length;
            var buf = new byte[Packet.Headroom + o + ihl + n];
            var fr = buf.AsSpan(Packet.Headroom);
            f[..o].CopyTo(fr);
            (at == 0 ? f.Slice(o, ihl) : later).CopyTo(fr[o..]);
            data.Slice(at, n).CopyTo(fr[(o + ihl)..]);
            BinaryPrimitives.WriteUInt16BigEndian(fr[(o + 2)..], (ushort)(ihl + n));
            ushort field = (ushort)(((baseOfs + at) / 8) | (df ? 0x4000 : 0) | (!last || notLast ? 0x2000 : 0));
            BinaryPrimitives.WriteUInt16BigEndian(fr[(o + 6)..], field);
            Checksum.FixIpv4Header(fr.Slice(o, ihl));
            output.Add(new Packet(buf, Packet.Headroom, fr.Length, p.InPort, p.TimestampUs));
        }
        return true;
    }

    private static bool FragmentV6(Packet p, int o, int mtu, List<Packet> output)
    {
        var f = p.Span;
        int end = o + 40 + BinaryPrimitives.ReadUInt16BigEndian(f[(o + 4)..]);
        // Unfragmentable part: hop-by-hop, routing, and destination options that precede a routing header.
        int nextAt = o + 6, unfragEnd = o + 40, unfragNextAt = nextAt, pos = o + 40;
        byte next = f[nextAt];
        while (next is IpProtos.HopByHop or IpProtos.Routing or IpProtos.DestOpts) // bounded by the packet: each header ≥ 8 bytes
        {
            if (pos + 8 > end) return false;
            int len = (f[pos + 1] + 1) * 8;
            if (next is IpProtos.HopByHop or IpProtos.Routing) { unfragEnd = pos + len; unfragNextAt = pos; }
            else if (IsFollowedByRouting(f, pos, end)) { unfragEnd = pos + len; unfragNextAt = pos; }
            nextAt = pos;
            next = f[pos];
            pos += len;
        }
        unfragNextAt = unfragEnd == o + 40 ? o + 6 : unfragNextAt;
        byte fragNext = f[unfragNextAt];
        int per = (mtu - (unfragEnd - o) - 8) & ~7;
        if (per < 8) return false;
        var data = f[unfragEnd..end];
        uint id = (uint)Interlocked.Increment(ref _ipv6Id);
        for (int at = 0; at < data.Length; at += per)
        {
            int n = Math.Min(per, data.Length - at);
            bool last = at + n >= data.Length;
            var buf = new byte[Packet.Headroom + unfragEnd + 8 + n];
            var fr = buf.AsSpan(Packet.Headroom);
            f[..unfragEnd].CopyTo(fr);
            fr[unfragNextAt] = IpProtos.Fragment;
            BinaryPrimitives.WriteUInt16BigEndian(fr[(o + 4)..], (ushort)(unfragEnd - o - 40 + 8 + n));
            var fh = fr[unfragEnd..];
            fh[0] = fragNext;
            fh[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(fh[2..], (ushort)(at | (last ? 0 : 1)));
            BinaryPrimitives.WriteUInt32BigEndian(fh[4..], id);
            data.Slice(at, n).CopyTo(fh[8..]);
            output.Add(new Packet(buf, Packet.Headroom, fr.Length, p.InPort, p.TimestampUs));
        }
        return true;
    }

    private static bool IsFollowedByRouting(ReadOnlySpan<byte> f, int pos, int end)
    {
        while (pos + 8 <= end) // each header is at least 8 bytes
        {
            byte n = f[pos];
            if (n == IpProtos.Routing) return true;
            if (n is not (IpProtos.HopByHop or IpProtos.DestOpts)) return false;
            pos += (f[pos + 1] + 1) * 8;
        }
        return false;
    }
}
