using System.Buffers.Binary;
using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// Conntrack defragmentation (ip_defrag / nf_ct_frag6_gather with the "conntrack-in + zone" user): fragments are
/// held per <see cref="FragKey"/> until the datagram is whole, then it continues as one packet whose MRU is the
/// largest fragment's L3 length. Overlaps discard the whole datagram (RFC 5722, inet_frag_queue_insert); a
/// duplicate inside held data is dropped alone. IPv6 keys carry protocol 0: only the offset-0 fragment's next
/// header counts (RFC 8200 4.5), and the kernel's IPv6 key has none.
/// </summary>
internal sealed class Reassembler
{
    private readonly ConntrackSettings _s;
    private readonly ConntrackCounters _counters;
    private readonly Dictionary<FragKey, FragQueue> _queues = new();
    // Oldest first, one list per family: every queue of a family has the same timeout, so creation order is
    // expiry order and a completed queue unlinks in O(1) (no dead timer entries pile up).
    private FragQueue? _oldestV4, _newestV4, _oldestV6, _newestV6;
    private long _bytes;

    public Reassembler(ConntrackSettings s, ConntrackCounters counters) { _s = s; _counters = counters; }

    public int QueueCount => _queues.Count;
    public long BytesHeld => _bytes;

    public FragResult Add(Packet p, in FlowKey key, ushort zone, long now, out Packet? whole, out string? reason)
    {
        whole = null;
        reason = null;
        var f = p.Span;
        int o = key.L3Ofs;
        int offset, dataStart, dataEnd, l3Len, unfragExtra = 0, fh = 0, prevNextAt = 0;
        bool more, df = false;
        FragKey fk;
        if (key.IsIpv4)
        {
            int ihl = (f[o] & 0x0f) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 2)..]);
            ushort fo = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 6)..]);
            offset = (fo & 0x1fff) * 8;
            more = (fo & 0x2000) != 0;
            df = (fo & 0x4000) != 0;
            dataStart = o + ihl;
            dataEnd = o + total;
            l3Len = total;
            unfragExtra = ihl - 20;
            fk = V4Key(f, in key, zone, o);
        }
        else
        {
            int payload = BinaryPrimitives.ReadUInt16BigEndian(f[(o + 4)..]);
            l3Len = 40 + payload;
            dataEnd = o + l3Len;
            if (!FindFragmentHeader(f[..dataEnd], o, out fh, out prevNextAt)) { reason = CtDropReasons.FragInvalid; return FragResult.Dropped; }
            ushort fo = BinaryPrimitives.ReadUInt16BigEndian(f[(fh + 2)..]);
            offset = fo & 0xfff8;
            more = (fo & 1) != 0;
            dataStart = fh + 8;
            unfragExtra = fh - o - 40;
            fk = V6Key(f, in key, zone, fh);
        }
        int len = dataEnd - dataStart;
        int end = offset + len;

        _queues.TryGetValue(fk, out var q);
        if (20 + unfragExtra + end > 65535 && !key.IsIpv6 || key.IsIpv6 && unfragExtra + end > 65535)
            return Discard(q, CtDropReasons.FragTooBig, out reason);
        if (_bytes + len > _s.MaxFragmentBytes) { reason = CtDropReasons.FragMemory; return FragResult.Dropped; }
        if (q == null)
        {
            if (_queues.Count >= _s.MaxDatagramsInProgress) { reason = CtDropReasons.FragQueueLimit; return FragResult.Dropped; }
            var timeout = key.IsIpv6 ? _s.FragTimeoutV6 : _s.FragTimeoutV4;
            q = new FragQueue(fk, now + timeout.Ticks / 10);
            _queues.Add(fk, q);
            Link(q);
        }

        if (!more)
        {
            if (end < q.Len || (q.LastIn && end != q.Len)) return Discard(q, CtDropReasons.FragInvalid, out reason);
            q.LastIn = true;
            q.Len = end;
        }
        else
        {
            // Only the last fragment may end off an 8-byte boundary.
            if ((len & 7) != 0) return DropOne(q, CtDropReasons.FragInvalid, out reason);
            if (end > q.Len)
            {
                if (q.LastIn) return Discard(q, CtDropReasons.FragInvalid, out reason);
                q.Len = end;
            }
        }
        if (len == 0) return Discard(q, CtDropReasons.FragInvalid, out reason);

        int at = InsertPosition(q, offset, end, out bool duplicate, out bool overlap);
        if (duplicate) return DropOne(q, CtDropReasons.FragDuplicate, out reason);
        if (overlap) return Discard(q, CtDropReasons.FragOverlap, out reason);
        if (q.Fragments.Count + 1 > _s.MaxFragmentsPerDatagram) return Discard(q, CtDropReasons.FragTooMany, out reason);

        q.Fragments.Insert(at, (offset, f[dataStart..dataEnd].ToArray()));
        q.Meat += len;
        q.Bytes += len;
        _bytes += len;
        _counters.FragmentsHeld++;
        if (l3Len > q.MaxSize) { q.MaxSize = l3Len; q.MaxSizeDf = df; }
        else if (l3Len == q.MaxSize) q.MaxSizeDf &= df;
        if (offset == 0)
        {
            q.L3Ofs = o;
            if (key.IsIpv4) q.Head = f[..dataStart].ToArray();
            else { q.Head = f[..fh].ToArray(); q.HeadNextHeaderAt = prevNextAt; q.NextHeader = f[fh]; }
        }
        if (!q.LastIn || q.Head == null || q.Meat != q.Len) return FragResult.Held;

        whole = Build(q, key.IsIpv6);
        whole.Mru = q.MaxSize;
        Forget(q);
        _counters.ReassembledDatagrams++;
        return FragResult.Complete;
    }

    /// <summary>Where a fragment [offset, end) goes; a fragment inside a contiguous run of held data is a
    /// duplicate, any other intersection an overlap.</summary>
    private static int InsertPosition(FragQueue q, int offset, int end, out bool duplicate, out bool overlap)
    {
        duplicate = overlap = false;
        var list = q.Fragments;
        int i = 0;
        while (i < list.Count && list[i].Offset + list[i].Data.Length <= offset) i++;
        if (i == list.Count || list[i].Offset >= end) return i;
        // Intersects list[i]: a duplicate only if held data covers [offset, end) without a hole.
        int covered = list[i].Offset;
        if (covered > offset) { overlap = true; return i; }
        for (int j = i; j < list.Count && covered < end; j++)
        {
            if (list[j].Offset != covered) break;
            covered += list[j].Data.Length;
        }
        if (covered >= end) duplicate = true; else overlap = true;
        return i;
    }

    private static Packet Build(FragQueue q, bool v6)
    {
        var head = q.Head!;
        var buf = new byte[Packet.Headroom + head.Length + q.Len];
        var frame = buf.AsSpan(Packet.Headroom, head.Length + q.Len);
        head.CopyTo(frame);
        foreach (var (ofs, data) in q.Fragments) data.CopyTo(frame[(head.Length + ofs)..]);
        int o = q.L3Ofs;
        if (!v6)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[(o + 2)..], (ushort)(head.Length - o + q.Len));
            // ip_frag_reasm: DF survives only if the largest fragment carried it.
            BinaryPrimitives.WriteUInt16BigEndian(frame[(o + 6)..], (ushort)(q.MaxSizeDf ? 0x4000 : 0));
            Checksum.FixIpv4Header(frame.Slice(o, head.Length - o));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[(o + 4)..], (ushort)(head.Length - o - 40 + q.Len));
            frame[q.HeadNextHeaderAt] = q.NextHeader;
        }
        return new Packet(buf, Packet.Headroom, frame.Length);
    }

    /// <summary>Finds the IPv6 Fragment header and the offset of the next-header byte that names it.</summary>
    /// <summary>The datagram a fragment belongs to, keyed exactly as <see cref="Add"/> keys it (the cluster routes
    /// fragments by it, so every fragment of a datagram meets in one reassembly entity). False when the fragment cannot
    /// be keyed (no fragment header in the IPv6 chain): <see cref="Add"/> drops it wherever it arrives.</summary>
    public static bool KeyOf(ReadOnlySpan<byte> f, in FlowKey key, ushort zone, out FragKey fk)
    {
        fk = default;
        int o = key.L3Ofs;
        if (o < 0 || key.L3Len < 20 || f.Length < o + key.L3Len) return false;
        if (key.IsIpv4) { fk = V4Key(f, in key, zone, o); return true; }
        if (!key.IsIpv6 || !FindFragmentHeader(f[..(o + key.L3Len)], o, out int fh, out _)) return false;
        fk = V6Key(f, in key, zone, fh);
        return true;
    }

    private static FragKey V4Key(ReadOnlySpan<byte> f, in FlowKey key, ushort zone, int o) =>
        new(zone, false, key.NwSrc, key.NwDst, key.NwProto, BinaryPrimitives.ReadUInt16BigEndian(f[(o + 4)..]));

    // IPv6: the protocol is not part of the key (the kernel's frag6 queue key), the identification is 32 bits.
    private static FragKey V6Key(ReadOnlySpan<byte> f, in FlowKey key, ushort zone, int fh) =>
        new(zone, true, key.Ipv6Src, key.Ipv6Dst, 0, BinaryPrimitives.ReadUInt32BigEndian(f[(fh + 4)..]));

    internal static bool FindFragmentHeader(ReadOnlySpan<byte> f, int o, out int fh, out int prevNextAt)
    {
        prevNextAt = o + 6;
        int p = o + 40;
        byte next = f[prevNextAt];
        while (true) // bounded by the packet: each header is at least 8 bytes
        {
            if (next == IpProtos.Fragment)
            {
                fh = p;
                return f.Length >= p + 8;
            }
            if (next is not (IpProtos.HopByHop or IpProtos.Routing or IpProtos.DestOpts) || f.Length < p + 8) break;
            prevNextAt = p;
            next = f[p];
            p += (f[p + 1] + 1) * 8;
        }
        fh = 0;
        return false;
    }

    private FragResult DropOne(FragQueue q, string why, out string reason)
    {
        reason = why;
        if (q.Fragments.Count == 0) Forget(q);
        return FragResult.Dropped;
    }

    /// <summary>Throws the datagram away (inet_frag_kill), counting the fragments it held.</summary>
    private FragResult Discard(FragQueue? q, string why, out string reason)
    {
        reason = why;
        if (q != null)
        {
            _counters.FragmentsDiscarded += q.Fragments.Count;
            Forget(q);
        }
        return FragResult.Dropped;
    }

    private void Forget(FragQueue q)
    {
        if (q.Dead) return;
        q.Dead = true;
        _queues.Remove(q.Key);
        Unlink(q);
        _bytes -= q.Bytes;
        _counters.FragmentsHeld -= q.Fragments.Count;
    }

    private void Link(FragQueue q)
    {
        ref var newest = ref q.Key.IsV6 ? ref _newestV6 : ref _newestV4;
        ref var oldest = ref q.Key.IsV6 ? ref _oldestV6 : ref _oldestV4;
        q.Older = newest;
        if (newest != null) newest.Newer = q; else oldest = q;
        newest = q;
    }

    private void Unlink(FragQueue q)
    {
        ref var newest = ref q.Key.IsV6 ? ref _newestV6 : ref _newestV4;
        ref var oldest = ref q.Key.IsV6 ? ref _oldestV6 : ref _oldestV4;
        if (q.Older != null) q.Older.Newer = q.Newer; else oldest = q.Newer;
        if (q.Newer != null) q.Newer.Older = q.Older; else newest = q.Older;
        q.Older = q.Newer = null;
    }

    /// <summary>Expired queues are freed silently (no ICMP time exceeded for conntrack defrag); their fragments
    /// count as frag_timeout drops.</summary>
    public void Expire(long now)
    {
        ExpireList(ref _oldestV4, now);
        ExpireList(ref _oldestV6, now);
    }

    private void ExpireList(ref FragQueue? oldest, long now)
    {
        while (oldest != null && oldest.ExpiresUs <= now)
        {
            var q = oldest;
            int n = q.Fragments.Count;
            Forget(q);
            if (n > 0)
            {
                _counters.Drop(CtDropReasons.FragTimeout, n);
                _counters.FragmentsDiscarded += n;
            }
        }
    }
}
