using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// The ftp ALG (nf_conntrack_ftp.c help()): reads PORT/EPRT from the client and 227/229 from the server on a
/// control connection that has seen both directions, and expects the data connection: source = the other
/// party (any port), destination = the advertising side, destination port = the advertised one.
/// </summary>
internal static class FtpHelper
{
    /// <summary>Returns a drop reason, or null to let the packet go on.</summary>
    public static string? Process(ConntrackEngine engine, Connection c, int dir, in TcpSegment seg,
        ReadOnlySpan<byte> payload, int maxLine)
    {
        if (payload.IsEmpty) return null;
        var extras = c.Extras ??= new ConnExtras();
        var st = (extras.Ftp ??= new FtpLineState()).Dirs[dir];
        uint seq = seg.Seq;
        if (!st.SeqValid)
        {
            st.SeqValid = true;
            st.NextSeq = seq;
        }
        int delta = (int)(seq - st.NextSeq);
        if (delta < 0)
        {
            // Retransmission: take only bytes beyond what we already consumed.
            if (-delta >= payload.Length) return null;
            payload = payload[(-delta)..];
            seq = st.NextSeq;
        }
        else if (delta > 0)
        {
            // A gap (lost or reordered segment): the partial line is unusable; resync at the next LF.
            st.PendingLen = 0;
            st.Skipping = true;
        }
        st.NextSeq = seq + (uint)payload.Length;

        while (!payload.IsEmpty)
        {
            int lf = payload.IndexOf((byte)'\n');
            var chunk = lf < 0 ? payload : payload[..lf];
            if (!st.Skipping)
            {
                if (st.PendingLen + chunk.Length > maxLine)
                {
                    st.PendingLen = 0;
                    st.Skipping = true;
                }
                else if (lf >= 0 && st.PendingLen == 0)
                {
                    string? r = Line(engine, c, dir, TrimCr(chunk));
                    if (r != null) return r;
                }
                else
                {
                    st.Pending ??= new byte[maxLine];
                    chunk.CopyTo(st.Pending.AsSpan(st.PendingLen));
                    st.PendingLen += chunk.Length;
                    if (lf >= 0)
                    {
                        int len = st.PendingLen;
                        st.PendingLen = 0;
                        string? r = Line(engine, c, dir, TrimCr(st.Pending.AsSpan(0, len)));
                        if (r != null) return r;
                    }
                }
            }
            if (lf < 0) break;
            st.Skipping = false;
            payload = payload[(lf + 1)..];
        }
        return null;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> s) => s.Length > 0 && s[^1] == '\r' ? s[..^1] : s;

    private static string? Line(ConntrackEngine engine, Connection c, int dir, ReadOnlySpan<byte> line)
    {
        int r = FtpParser.Parse(line, dir, c.Key.IsV6, out var cmd);
        if (r == 0) return null;
        if (r < 0) return CtDropReasons.FtpMalformed;
        var orig = c.Original;
        // The sender's address in its direction's tuple, and the other party's.
        UInt128 sender = dir == 0 ? orig.Src : orig.Dst;
        UInt128 other = dir == 0 ? orig.Dst : orig.Src;
        UInt128 daddr = sender;
        if (cmd.HasAddress && cmd.Address != sender)
        {
            // nf_conntrack_ftp: an address that is not the sender's opens no hole unless loose=1.
            if (!engine.Settings.FtpLoose) { engine.Counters.FtpAddressMismatch++; return null; }
            daddr = cmd.Address;
        }
        var key = new ExpectKey(c.Zone, IpProtos.Tcp, c.Key.IsV6, other, daddr, cmd.Port);
        return engine.AddExpectation(c, key, CtAlg.Ftp) ? null : CtDropReasons.ExpectTableFull;
    }
}
