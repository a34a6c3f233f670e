using System.Buffers.Binary;

namespace Switch.Actors.Packets;

/// <summary>
/// Splits a datagram conntrack reassembled back into fragments no larger than its MRU, as the OVS kernel
/// datapath does on output (ovs_fragment): same L2 header, same IP id, 8-byte aligned offsets. A
/// reassembled IPv4 packet is refragmented even with DF set, as the kernel does for conntrack-defragmented
/// traffic (the sender fragmented it already). IPv6 fragments get a Fragment header after the
/// unfragmentable part (fixed header and a hop-by-hop header, RFC 8200 4.5).
/// </summary>
public static class Refragmenter
{
    private static uint _ipv6Id = 0x5a5a0000;

    /// <summary>Appends the fragments of <paramref name="p"/> (each with L3 length &lt;= <paramref name="mtuL3"/>)
    /// to <paramref name="output"/>; false when it cannot be fragmented that small or is not IP.</summary>
    public static bool Fragment(Packet p, int mtuL3, List<Packet> output)
    {
        var f = p.Span;
        var k = new FlowKey();
        if (PacketParser.Parse(f, p.InPort, ref k) != ParseResult.Ok || k.L3Ofs < 0) return false;
        if (k.IsIpv4) return FragmentV4(p, f, k.L3Ofs, k.L3Len, mtuL3, output);
        if (k.IsIpv6) return FragmentV6(p, f, k.L3Ofs, k.L3Len, mtuL3, output);
        return false;
    }

    private static bool FragmentV4(Packet p, ReadOnlySpan<byte> f, int l3, int total, int mtu, List<Packet> output)
    {
        int ihl = (f[l3] & 0x0f) * 4;
        int chunk = (mtu - ihl) & ~7;
        if (chunk < 8) return false;
        var data = f.Slice(l3 + ihl, total - ihl);
        ushort fragWord = BinaryPrimitives.ReadUInt16BigEndian(f[(l3 + 6)..]);
        int baseOfs = (fragWord & 0x1fff) * 8;
        bool origMf = (fragWord & 0x2000) != 0;
        for (int at = 0; at < data.Length; at += chunk)
        {
            int n = Math.Min(chunk, data.Length - at);
            bool last = at + n >= data.Length;
            var buf = new byte[Packet.Headroom + l3 + ihl + n];
            var s = buf.AsSpan(Packet.Headroom);
            f[..(l3 + ihl)].CopyTo(s);
            data.Slice(at, n).CopyTo(s[(l3 + ihl)..]);
            BinaryPrimitives.WriteUInt16BigEndian(s[(l3 + 2)..], (ushort)(ihl + n));
            ushort word = (ushort)((fragWord & 0x4000) | ((last ? origMf : true) ? 0x2000 : 0) | (((baseOfs + at) / 8) & 0x1fff));
            BinaryPrimitives.WriteUInt16BigEndian(s[(l3 + 6)..], word);
            Checksum.FixIpv4Header(s.Slice(l3, ihl));
            output.Add(new Packet(buf, Packet.Headroom, s.Length, p.InPort, p.TimestampUs));
        }
        return true;
    }

    private static bool FragmentV6(Packet p, ReadOnlySpan<byte> f, int l3, int total, int mtu, List<Packet> output)
    {
        // Unfragmentable part: the fixed header plus a hop-by-hop options header when present.
        int unfrag = 40;
        byte next = f[l3 + 6];
        int nextAt = l3 + 6;
        if (next == IpProtos.HopByHop)
        {
            nextAt = l3 + 40;
            next = f[nextAt];
            unfrag += (f[l3 + 41] + 1) * 8;
        }
        int chunk = (mtu - unfrag - 8) & ~7;
        if (chunk < 8) return false;
        var data = f.Slice(l3 + unfrag, total - unfrag);
        uint id = Interlocked.Increment(ref _ipv6Id);
        for (int at = 0; at < data.Length; at += chunk)
        {
            int n = Math.Min(chunk, data.Length - at);
            bool last = at + n >= data.Length;
            var buf = new byte[Packet.Headroom + l3 + unfrag + 8 + n];
            var s = buf.AsSpan(Packet.Headroom);
            f[..(l3 + unfrag)].CopyTo(s);
            s[nextAt - 0] = IpProtos.Fragment;
            var fh = s.Slice(l3 + unfrag, 8);
            fh[0] = next; fh[1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(fh[2..], (ushort)(at | (last ? 0 : 1)));
            BinaryPrimitives.WriteUInt32BigEndian(fh[4..], id);
            data.Slice(at, n).CopyTo(s[(l3 + unfrag + 8)..]);
            BinaryPrimitives.WriteUInt16BigEndian(s[(l3 + 4)..], (ushort)(unfrag - 40 + 8 + n));
            output.Add(new Packet(buf, Packet.Headroom, s.Length, p.InPort, p.TimestampUs));
        }
        return true;
    }
}
