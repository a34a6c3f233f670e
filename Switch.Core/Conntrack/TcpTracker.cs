namespace Switch.Core.Conntrack;

/// <summary>
/// The Linux TCP tracker (net/netfilter/nf_conntrack_proto_tcp.c: tcp_new, nf_conntrack_tcp_packet,
/// tcp_in_window), rewritten over <see cref="TcpTrack"/>. Directions: 0 original, 1 reply.
/// </summary>
internal static class TcpTracker
{
    internal static ref TcpPeer Peer(Connection c, int dir) => ref dir == 0 ? ref c.Tcp.Orig : ref c.Tcp.Reply;

    /// <summary>tcp_new: may this segment create an entry? Initialises the original side when it may.</summary>
    public static bool New(Connection c, in TcpSegment seg, ConntrackSettings s)
    {
        byte ns = TcpStateTable.Next(0, seg.Index, TcpState.None);
        if (ns >= TcpStateTable.Invalid) return false;
        c.Tcp = default;
        ref var o = ref c.Tcp.Orig;
        o.End = seg.End;
        o.MaxWin = seg.Window == 0 ? 1u : seg.Window;
        if (ns == (byte)TcpState.SynSent)
        {
            o.MaxEnd = o.End;
            TcpWindow.ParseOptions(seg.Header, ref o);
        }
        else
        {
            if (!s.TcpLoose) return false;
            // Mid-stream pickup: history lost, so assume SACK and be liberal to survive unknown window scaling.
            o.MaxEnd = o.End + o.MaxWin;
            o.Flags = c.Tcp.Reply.Flags = TcpPeerFlags.SackPerm | TcpPeerFlags.BeLiberal;
        }
        c.Tcp.LastIndex = TcpIndex.None;
        return true;
    }

    /// <summary>nf_conntrack_tcp_packet for an entry (new or confirmed). <paramref name="timeoutUs"/> is the
    /// timer to set on Accept, or a shortened timer on Invalid (-1: leave the timer alone).</summary>
    public static TcpResult Packet(Connection c, int dir, in TcpSegment seg, ConntrackSettings s, long nowUs,
        out long timeoutUs)
    {
        timeoutUs = -1;
        ref var t = ref c.Tcp;
        var oldState = t.State;
        var index = seg.Index;
        byte ns = TcpStateTable.Next(dir, index, oldState);

        if (ns == (byte)TcpState.SynSent && oldState >= TcpState.TimeWait)
        {
            // RFC 1122 reopen from TIME_WAIT/CLOSE when a side had closed or this side last sent an RST.
            if (((t.Orig.Flags | t.Reply.Flags) & TcpPeerFlags.CloseInit) != 0
                || (t.LastDir == dir && t.LastIndex == TcpIndex.Rst))
                return TcpResult.Reopen;
            ns = TcpStateTable.Ignore;
        }

        bool skipWindow = false;
        switch (ns)
        {
            case TcpStateTable.Ignore:
                if (!TryResync(c, dir, index, in seg)) return IgnoreSegment(c, dir, index, oldState, in seg);
                oldState = TcpState.SynSent;
                ns = (byte)TcpState.SynRecv;
                break;
            case TcpStateTable.Invalid:
                return TcpResult.Invalid;
            case (byte)TcpState.TimeWait:
                // RFC 5961 challenge ACK answering a SYN in LAST_ACK does not ack the last FIN.
                if (oldState == TcpState.LastAck && index == TcpIndex.Ack && t.LastDir != dir
                    && t.LastIndex == TcpIndex.Syn && (t.LastFlags & TcpPeerFlags.ChallengeAck) != 0)
                {
                    t.LastFlags &= ~TcpPeerFlags.ChallengeAck;
                    return TcpResult.Ignore;
                }
                break;
            case (byte)TcpState.SynSent2:
                t.LastFlags |= TcpPeerFlags.SimultaneousOpen;
                break;
            case (byte)TcpState.SynRecv:
                if (dir == 1 && index == TcpIndex.Ack && (t.LastFlags & TcpPeerFlags.SimultaneousOpen) != 0)
                    ns = (byte)TcpState.Established;
                break;
            case (byte)TcpState.Close:
                if (index != TcpIndex.Rst) break;
                var rst = CheckRst(c, dir, in seg, s, oldState, ref ns, out skipWindow);
                if (rst != TcpResult.Accept) return rst;
                break;
        }

        if (!skipWindow)
        {
            var w = TcpWindow.Check(c, dir, index, in seg, s);
            if (w == TcpResult.Ignore) return TcpResult.Ignore;
            if (w == TcpResult.Invalid) { timeoutUs = HandleInvalid(c, dir, index, nowUs); return TcpResult.Invalid; }
        }

        t.LastIndex = index;
        t.LastDir = (byte)dir;
        t.State = (TcpState)ns;
        if (oldState != t.State && t.State == TcpState.FinWait)
            Peer(c, dir).Flags |= TcpPeerFlags.CloseInit;

        var to = c.Timeouts;
        long stateTo = to.Tcp[ns];
        long timeout;
        if (t.Retrans >= s.TcpMaxRetrans && stateTo > to.TcpRetrans) timeout = to.TcpRetrans;
        else if (index == TcpIndex.Rst) timeout = to.Tcp[(int)TcpState.Close];
        else if (((t.Orig.Flags | t.Reply.Flags) & TcpPeerFlags.DataUnacknowledged) != 0 && stateTo > to.TcpUnack)
            timeout = to.TcpUnack;
        else if (t.LastWin == 0 && stateTo > to.TcpRetrans) timeout = to.TcpRetrans;
        else timeout = stateTo;

        if (!c.Has(ConnStatus.SeenReply))
        {
            if (seg.IsRst) return TcpResult.AcceptKill;
            // A retransmitted SYN does not renew the timer, so port reuse cannot keep an entry alive forever.
            if (index == TcpIndex.Syn && oldState == TcpState.SynSent) return TcpResult.Ignore;
            // Mid-stream pickup without a reply: avoid the 5-day ESTABLISHED timer.
            if (t.State == TcpState.Established && timeout > to.TcpUnack) timeout = to.TcpUnack;
        }
        else if (!c.Has(ConnStatus.Assured) && oldState is TcpState.SynRecv or TcpState.Established
                 && t.State == TcpState.Established)
        {
            c.Status |= ConnStatus.Assured;
        }
        timeoutUs = timeout;
        return TcpResult.Accept;
    }

    /// <summary>A SYN-ACK acknowledging a SYN we ignored means both ends are in sync and we are not:
    /// take the annotated SYN's data and continue as SYN_SENT -> SYN_RECV.</summary>
    private static bool TryResync(Connection c, int dir, TcpIndex index, in TcpSegment seg)
    {
        ref var t = ref c.Tcp;
        if (index != TcpIndex.SynAck || t.LastIndex != TcpIndex.Syn || t.LastDir == dir || seg.Ack != t.LastEnd)
            return false;
        ref var ls = ref Peer(c, t.LastDir);
        ls.End = t.LastEnd;
        ls.MaxEnd = t.LastEnd;
        ls.MaxWin = t.LastWin == 0 ? 1u : t.LastWin;
        ls.Scale = t.LastWscale;
        t.LastFlags &= ~TcpPeerFlags.ChallengeAck;
        ls.Flags = t.LastFlags;
        Peer(c, dir).Reset();
        return true;
    }

    /// <summary>The sIG branch: remember the segment (a later SYN-ACK may resync on it) and accept it unchanged.</summary>
    private static TcpResult IgnoreSegment(Connection c, int dir, TcpIndex index, TcpState oldState, in TcpSegment seg)
    {
        ref var t = ref c.Tcp;
        t.LastIndex = index;
        t.LastDir = (byte)dir;
        t.LastSeq = seg.Seq;
        t.LastEnd = seg.End;
        t.LastWin = seg.Window;
        if (index == TcpIndex.Syn && dir == 0)
        {
            var seen = default(TcpPeer);
            TcpWindow.ParseOptions(seg.Header, ref seen);
            t.LastFlags = seen.Flags & (TcpPeerFlags.WindowScale | TcpPeerFlags.SackPerm);
            t.LastWscale = (seen.Flags & TcpPeerFlags.WindowScale) != 0 ? seen.Scale : (byte)0;
            // A SYN in LAST_ACK may draw an RFC 5961 challenge ACK that must not count as acking the FIN.
            if (oldState == TcpState.LastAck) t.LastFlags |= TcpPeerFlags.ChallengeAck;
        }
        // Possible challenge ACK answering a SYN.
        if (oldState == TcpState.SynSent && index == TcpIndex.Ack && dir == 1) t.LastAck = seg.Ack;
        return TcpResult.Ignore;
    }

    /// <summary>RST validation in the CLOSE branch. Returns Accept to continue (possibly with window checks
    /// skipped), Invalid for an RST below the peer's highest ack.</summary>
    private static TcpResult CheckRst(Connection c, int dir, in TcpSegment seg, ConntrackSettings s, TcpState oldState,
        ref byte ns, out bool skipWindow)
    {
        ref var t = ref c.Tcp;
        skipWindow = false;
        // Closing states: the tuple may already be reused, so the RST is not validated (tcp_can_early_drop).
        if (oldState is TcpState.FinWait or TcpState.CloseWait or TcpState.LastAck or TcpState.TimeWait or TcpState.Close)
        {
            skipWindow = true;
            return TcpResult.Accept;
        }
        ref var other = ref Peer(c, 1 - dir);
        bool established = t.State == TcpState.Established && c.Has(ConnStatus.Assured);
        if ((other.Flags & TcpPeerFlags.MaxAckSet) != 0 && t.LastIndex != TcpIndex.Syn)
        {
            uint seq = seg.Seq;
            if (seq == 0 && !established) return TcpResult.Accept;
            if ((int)(seq - other.MaxAck) < 0 && !s.TcpIgnoreInvalidRst) return TcpResult.Invalid;
            if (!established || seq == other.MaxAck) return TcpResult.Accept;
            if (t.LastIndex == TcpIndex.Ack && t.LastDir == dir && seq == t.LastEnd) return TcpResult.Accept;
            // Inexact RST: keep the state so a challenge ACK can follow.
            ns = (byte)oldState;
        }
        if (((c.Has(ConnStatus.SeenReply) && t.LastIndex == TcpIndex.Syn)
             || (!c.Has(ConnStatus.Assured) && t.LastIndex == TcpIndex.Ack))
            && seg.Ack == t.LastEnd)
        {
            // RST answering a SYN or ACK we let through while out of sync: skip the window check.
            skipWindow = true;
            return TcpResult.Accept;
        }
        if (oldState == TcpState.SynSent && t.LastIndex == TcpIndex.Ack && t.LastDir == 1 && seg.Seq == t.LastAck)
            skipWindow = true;
        return TcpResult.Accept;
    }

    /// <summary>nf_tcp_handle_invalid: an assured entry seeing an invalid FIN/RST answer to the other side's
    /// FIN/RST gets its timer cut to UNACK. Returns the new timeout or -1.</summary>
    private static long HandleInvalid(Connection c, int dir, TcpIndex index, long nowUs)
    {
        ref var t = ref c.Tcp;
        if (!c.Has(ConnStatus.Assured) || index is not (TcpIndex.Rst or TcpIndex.Fin)) return -1;
        if (t.LastDir != dir && t.LastIndex is TcpIndex.Fin or TcpIndex.Rst)
        {
            long left = c.ExpiresUs - nowUs;
            if (left < 120_000_000) return -1;
            return left > c.Timeouts.TcpUnack ? c.Timeouts.TcpUnack : -1;
        }
        t.LastIndex = index;
        t.LastDir = (byte)dir;
        return -1;
    }
}
