using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Switch.Core.Conntrack;

/// <summary>TCP window tracking and option parsing of nf_conntrack_proto_tcp.c (tcp_in_window, tcp_options,
/// tcp_sack). Sequence comparisons are modulo 2^32 (before/after).</summary>
internal static class TcpWindow
{
    private const uint MaxAckWinConst = 66000;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Before(uint a, uint b) => (int)(a - b) < 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool After(uint a, uint b) => (int)(b - a) < 0;

    /// <summary>tcp_in_window (van Rooij with RFC 793 bounds). Accept, Ignore (bounds II/IV, or an overshoot of
    /// bound I inside the receiver window) or Invalid (bounds I, III). Be-liberal turns failures into Accept
    /// without updating the windows, as nf_tcp_log_invalid does.</summary>
    internal static TcpResult Check(Connection c, int dir, TcpIndex index, in TcpSegment seg, ConntrackSettings s)
    {
        ref var t = ref c.Tcp;
        ref var sender = ref TcpTracker.Peer(c, dir);
        ref var receiver = ref TcpTracker.Peer(c, 1 - dir);
        uint seq = seg.Seq, ack = seg.Ack, sack = seg.Ack, end = seg.End;
        uint win = seg.Window;
        bool liberal = s.TcpBeLiberal || (sender.Flags & TcpPeerFlags.BeLiberal) != 0;

        if ((receiver.Flags & TcpPeerFlags.SackPerm) != 0) Sack(seg.Header, ref sack);

        if (sender.MaxWin == 0)
        {
            if (seg.IsSyn)
            {
                // SYN-ACK answering a SYN, or a reply-direction SYN in a simultaneous open.
                InitSender(ref sender, ref receiver, in seg, end, win);
                if (!seg.IsAck) return TcpResult.Accept;
            }
            else
            {
                // Mid-stream: use what the packet tells.
                sender.End = end;
                uint swin = win << sender.Scale;
                sender.MaxWin = swin == 0 ? 1 : swin;
                sender.MaxEnd = end + sender.MaxWin;
                if (receiver.MaxWin == 0) receiver.End = receiver.MaxEnd = sack;
                else if (sack == receiver.End + 1) receiver.End++; // reply to a keepalive
            }
        }
        else if (seg.IsSyn && After(end, sender.End) && t.State is TcpState.SynSent or TcpState.SynRecv)
        {
            // RFC 793: a reinitialised TCP uses larger sequence numbers; re-init this direction.
            InitSender(ref sender, ref receiver, in seg, end, win);
            if (dir == 1 && !seg.IsAck) return TcpResult.Accept;
        }

        if (!seg.IsAck) ack = sack = receiver.End;
        else if ((seg.Flags & (TcpSegment.AckFlag | TcpSegment.Rst)) == (TcpSegment.AckFlag | TcpSegment.Rst) && ack == 0)
            ack = sack = receiver.End; // broken stacks: RST+ACK with ack 0

        if (seg.IsRst && seq == 0 && t.State == TcpState.SynSent) seq = end = sender.End; // RST answering a SYN

        uint maxAckWindow = sender.MaxWin > MaxAckWinConst ? sender.MaxWin : MaxAckWinConst;
        if (!Before(seq, sender.MaxEnd + 1))
        {
            // Bound I failed. Tolerate a small overshoot inside the receiver window with a sane ack.
            uint overshot = end - sender.MaxEnd + 1;
            bool ackOk = After(sack, receiver.End - maxAckWindow - 1);
            bool inRecvWin = receiver.MaxWin != 0 && After(end, sender.End - receiver.MaxWin - 1);
            if (inRecvWin && ackOk && overshot <= receiver.MaxWin && Before(sack, receiver.End + 1))
            {
                sender.End = end;
                sender.Flags |= TcpPeerFlags.DataUnacknowledged;
                return liberal ? TcpResult.Accept : TcpResult.Ignore;
            }
            return liberal ? TcpResult.Accept : TcpResult.Invalid;
        }
        // Bound III: ack of data never sent.
        if (!Before(sack, receiver.End + 1)) return liberal ? TcpResult.Accept : TcpResult.Invalid;
        // Bound II: old data (retransmission) is ignored, not invalid.
        if (receiver.MaxWin != 0 && !After(end, sender.End - receiver.MaxWin - 1))
            return liberal ? TcpResult.Accept : TcpResult.Ignore;
        // Bound IV: overly delayed ack.
        if (!After(sack, receiver.End - maxAckWindow - 1)) return liberal ? TcpResult.Accept : TcpResult.Ignore;

        if (!seg.IsSyn) win <<= sender.Scale;
        uint sw = win + (sack - ack);
        if (sender.MaxWin < sw) sender.MaxWin = sw;
        if (After(end, sender.End))
        {
            sender.End = end;
            sender.Flags |= TcpPeerFlags.DataUnacknowledged;
        }
        if (seg.IsAck)
        {
            if ((sender.Flags & TcpPeerFlags.MaxAckSet) == 0) { sender.MaxAck = ack; sender.Flags |= TcpPeerFlags.MaxAckSet; }
            else if (After(ack, sender.MaxAck)) sender.MaxAck = ack;
        }
        if (receiver.MaxWin != 0 && After(end, sender.MaxEnd)) receiver.MaxWin += end - sender.MaxEnd;
        if (After(sack + win, receiver.MaxEnd - 1))
        {
            receiver.MaxEnd = sack + win;
            if (win == 0) receiver.MaxEnd++;
        }
        if (ack == receiver.End) receiver.Flags &= ~TcpPeerFlags.DataUnacknowledged;

        if (index == TcpIndex.Ack)
        {
            if (t.LastDir == dir && t.LastSeq == seq && t.LastAck == ack && t.LastEnd == end && t.LastWin == seg.Window)
            {
                if (t.Retrans < byte.MaxValue) t.Retrans++;
            }
            else
            {
                t.LastDir = (byte)dir; t.LastSeq = seq; t.LastAck = ack; t.LastEnd = end; t.LastWin = seg.Window;
                t.Retrans = 0;
            }
        }
        return TcpResult.Accept;
    }

    private static void InitSender(ref TcpPeer sender, ref TcpPeer receiver, in TcpSegment seg, uint end, uint win)
    {
        sender.End = sender.MaxEnd = end;
        sender.MaxWin = win == 0 ? 1 : win;
        ParseOptions(seg.Header, ref sender);
        // RFC 1323: scaling applies only if both SYNs carried the option.
        if ((sender.Flags & TcpPeerFlags.WindowScale) == 0 || (receiver.Flags & TcpPeerFlags.WindowScale) == 0)
            sender.Scale = receiver.Scale = 0;
    }

    /// <summary>tcp_options: window scale (capped at 14) and SACK-permitted from a SYN's options.</summary>
    internal static void ParseOptions(ReadOnlySpan<byte> header, ref TcpPeer peer)
    {
        peer.Scale = 0;
        peer.Flags &= TcpPeerFlags.BeLiberal;
        int hl = (header[12] >> 4) * 4;
        var opt = header[20..Math.Min(hl, header.Length)];
        int i = 0;
        while (i < opt.Length)
        {
            byte kind = opt[i];
            if (kind == 0) return;
            if (kind == 1) { i++; continue; }
            if (i + 1 >= opt.Length) return;
            int len = opt[i + 1];
            if (len < 2 || i + len > opt.Length) return;
            if (kind == 4 && len == 2) peer.Flags |= TcpPeerFlags.SackPerm;
            else if (kind == 3 && len == 3)
            {
                peer.Scale = Math.Min(opt[i + 2], (byte)14);
                peer.Flags |= TcpPeerFlags.WindowScale;
            }
            i += len;
        }
    }

    /// <summary>tcp_sack: the highest right edge of the SACK blocks, when above the ack.</summary>
    private static void Sack(ReadOnlySpan<byte> header, ref uint sack)
    {
        int hl = (header[12] >> 4) * 4;
        if (hl <= 20) return;
        var opt = header[20..Math.Min(hl, header.Length)];
        int i = 0;
        while (i < opt.Length)
        {
            byte kind = opt[i];
            if (kind == 0) return;
            if (kind == 1) { i++; continue; }
            if (i + 1 >= opt.Length) return;
            int len = opt[i + 1];
            if (len < 2 || i + len > opt.Length) return;
            if (kind == 5 && len >= 10 && (len - 2) % 8 == 0)
            {
                for (int b = i + 2; b + 8 <= i + len; b += 8)
                {
                    uint right = BinaryPrimitives.ReadUInt32BigEndian(opt[(b + 4)..]);
                    if (After(right, sack)) sack = right;
                }
            }
            i += len;
        }
    }
}
