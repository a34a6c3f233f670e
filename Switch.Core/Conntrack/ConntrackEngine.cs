using Switch.Core.Packets;
using Switch.Contracts;

namespace Switch.Core.Conntrack;

/// <summary>
/// In-process connection tracking with Linux nf_conntrack semantics as the OVS kernel datapath's ct action
/// reports them (shared/CONNTRACK-REFERENCE.md). Single-threaded: one engine per datapath thread or actor.
/// Only committed connections are stored; an uncommitted lookup of an unknown connection runs the trackers on a
/// scratch entry and forgets it, as the kernel frees an unconfirmed entry.
/// </summary>
public sealed partial class ConntrackEngine : IConntrack
{
    private readonly IClock _clock;
    private readonly Dictionary<ConnKey, Connection> _table = new();
    private readonly PriorityQueue<Connection, long> _timers = new();
    private readonly ExpectationTable _expect;
    private readonly Reassembler _reasm;
    private readonly TimeoutTable _defaultTimeouts;
    private readonly Dictionary<ushort, TimeoutTable> _zoneTimeouts = new();
    private readonly Dictionary<ushort, uint> _zoneLimits = new();
    private uint _defaultZoneLimit;
    private readonly Connection _scratch;
    // Unassured entries, oldest first: early_drop's victims.
    private Connection? _unassuredHead, _unassuredTail;

    public ConntrackSettings Settings { get; }
    public ConntrackCounters Counters { get; } = new();

    public ConntrackEngine(IClock clock, ConntrackSettings? settings = null)
    {
        _clock = clock;
        Settings = settings ?? ConntrackSettings.Default;
        _defaultTimeouts = new TimeoutTable(Settings.Timeouts);
        if (Settings.ZoneTimeouts != null)
            foreach (var (zone, t) in Settings.ZoneTimeouts) _zoneTimeouts[zone] = new TimeoutTable(t);
        if (Settings.ZoneLimits != null)
            foreach (var (zone, l) in Settings.ZoneLimits) _zoneLimits[zone] = l;
        _defaultZoneLimit = Settings.DefaultZoneLimit;
        _expect = new ExpectationTable(Counters);
        _reasm = new Reassembler(Settings, Counters);
        _scratch = new Connection(default, true, _defaultTimeouts, 0);
    }

    public CtOutcome Execute(ref Packet packet, ref FlowKey key, in CtRequest request)
    {
        long now = _clock.NowUs;
        ExpireDue(now);
        if (!key.IsIp || key.L3Ofs < 0) return Invalid(ref key, request.Zone);
        if (key.NwFrag != 0)
        {
            var r = _reasm.Add(packet, in key, request.Zone, now, out var whole, out string? reason);
            if (r == FragResult.Held) return CtOutcome.Stolen;
            if (r == FragResult.Dropped) return Dropped(reason!);
            if (!ReplaceWithWhole(ref packet, ref key, whole!)) return Dropped(CtDropReasons.FragReassembledBad);
        }
        return Track(packet.Span, ref key, in request, now);
    }

    private CtOutcome Dropped(string reason)
    {
        Counters.Drop(reason);
        return CtOutcome.Drop(reason);
    }

    /// <summary>The datagram continues as one packet with the key re-extracted (ovs_ct_handle_fragments),
    /// keeping the fields that do not come from the frame: in_port, metadata, registers and tunnel.</summary>
    private static bool ReplaceWithWhole(ref Packet packet, ref FlowKey key, Packet whole)
    {
        whole.InPort = packet.InPort;
        whole.TimestampUs = packet.TimestampUs;
        var k = default(FlowKey);
        if (PacketParser.Parse(whole.Span, key.InPort, ref k) != ParseResult.Ok) return false;
        k.CopyPipelineWords(in key);
        packet = whole;
        key = k;
        return true;
    }

    private CtOutcome Track(ReadOnlySpan<byte> frame, ref FlowKey key, in CtRequest req, long now)
    {
        ushort zone = req.Zone;
        if (!L4View.Read(frame, in key, Settings.VerifyChecksums, out var v)) return Invalid(ref key, zone);
        if (v.IsIcmpError) return TrackIcmpError(ref key, in v, in req, now);
        if (!TryKey(in v, zone, out var ck, out bool fromA)) return Invalid(ref key, zone); // informational ICMP
        return TrackKeyed(in ck, fromA, in v, ref key, in req, now);
    }

    /// <summary>
    /// A lease holder's fast path: decides the packet, exactly as <see cref="Execute"/> would, only when it belongs
    /// to a connection this engine holds and whose timer has not run out; otherwise returns false having changed
    /// nothing. Fragments, ICMP errors, ct(force) and ct(alg=) never take it (their cluster entity decides them).
    /// </summary>
    /// <remarks><paramref name="held"/> is the entry the packet was tracked against; after the call it is Dying when the
    /// packet ended it (a TCP reopen or kill), and a new entry with its key may have replaced it.</remarks>
    public bool TryExecuteHeld(ref Packet packet, ref FlowKey key, in CtRequest request, out CtOutcome outcome, out Connection? held)
    {
        outcome = default; held = null;
        if (_table.Count == 0 || request.Force || request.Alg != CtAlg.None || key.NwFrag != 0 || !key.IsIp || key.L3Ofs < 0) return false;
        if (!L4View.Read(packet.Span, in key, Settings.VerifyChecksums, out var v) || v.IsIcmpError) return false;
        if (!TryKey(in v, request.Zone, out var ck, out bool fromA)) return false;
        long now = _clock.NowUs;
        if (!_table.TryGetValue(ck, out var c) || c.ExpiresUs <= now) return false;
        held = c;
        outcome = TrackKeyed(in ck, fromA, in v, ref key, in request, now, c);
        return true;
    }

    /// <summary>The connection key of a non-error packet (false for ICMP types that cannot be tracked).</summary>
    private static bool TryKey(in L4View v, ushort zone, out ConnKey ck, out bool fromA)
    {
        if (v.IsIcmp)
        {
            if (IcmpTypes.IsRequest(v.IsV6, v.IcmpType))
            {
                ck = new ConnKey(zone, v.Proto, v.IsV6, v.Src, v.Dst, v.IcmpId, (ushort)((v.IcmpType << 8) | v.IcmpCode));
                fromA = true;
                return true;
            }
            if (IcmpTypes.IsReply(v.IsV6, v.IcmpType))
            {
                byte req8 = IcmpTypes.Invert(v.IsV6, v.IcmpType);
                ck = new ConnKey(zone, v.Proto, v.IsV6, v.Dst, v.Src, v.IcmpId, (ushort)((req8 << 8) | v.IcmpCode));
                fromA = false;
                return true;
            }
            ck = default; fromA = false;
            return false;
        }
        ck = v.Proto is IpProtos.Tcp or IpProtos.Udp or IpProtos.Sctp
            ? ConnKey.Canonical(zone, v.Proto, v.IsV6, v.Src, v.Dst, v.SrcPort, v.DstPort, out fromA)
            : ConnKey.Canonical(zone, v.Proto, v.IsV6, v.Src, v.Dst, 0, 0, out fromA);
        return true;
    }

    private CtOutcome TrackKeyed(in ConnKey ck, bool fromA, in L4View v, ref FlowKey key, in CtRequest req, long now, Connection? known = null)
    {
        ushort zone = req.Zone;
        var c = known ?? Lookup(in ck, now);
        if (c != null)
        {
            int dir = fromA == c.OrigIsA ? 0 : 1;
            if (req.Force && req.Commit && dir == 1)
            {
                // ct(force): an entry seen in its reply direction is deleted and restarted in this direction.
                Remove(c);
            }
            else if ((key.CtState & (CtStateBits.Tracked | CtStateBits.Invalid)) == CtStateBits.Tracked && key.CtZone == zone)
            {
                // Already tracked in this zone (skb_nfct_cached, e.g. after ct(table=N) recirculation): the
                // trackers do not see the packet twice; a commit only confirms and writes mark/label.
                if (req.Commit)
                {
                    if (req.Alg != CtAlg.None && c.Helper == CtAlg.None) c.Helper = req.Alg;
                    ApplyMarkLabel(c, in req);
                }
                key.CtMark = c.Mark;
                key.CtLabel = c.Label;
                return CtOutcome.Continue;
            }
            else
            {
                var o = TrackExisting(c, dir, in v, ref key, in req, now, out bool reopen);
                if (!reopen) return o;
                Remove(c);
            }
        }
        return TrackNew(in ck, fromA, in v, ref key, in req, now);
    }

    private CtOutcome TrackExisting(Connection c, int dir, in L4View v, ref FlowKey key, in CtRequest req, long now,
        out bool reopen)
    {
        reopen = false;
        bool seenReply = c.Has(ConnStatus.SeenReply);
        long timeout;
        bool kill = false;
        switch (v.Proto)
        {
            case IpProtos.Tcp:
            {
                var seg = new TcpSegment(v.L4, v.Payload.Length);
                var r = TcpTracker.Packet(c, dir, in seg, Settings, now, out timeout);
                if (r == TcpResult.Reopen) { reopen = true; return CtOutcome.Continue; }
                if (r == TcpResult.Invalid)
                {
                    if (timeout >= 0) SetExpiry(c, now + timeout);
                    return Invalid(ref key, req.Zone);
                }
                if (r == TcpResult.Ignore) timeout = -1;
                kill = r == TcpResult.AcceptKill;
                if (Settings.OvsLiberalEstablished && c.Tcp.State == TcpState.Established && c.Has(ConnStatus.Assured))
                {
                    c.Tcp.Orig.Flags |= TcpPeerFlags.BeLiberal;
                    c.Tcp.Reply.Flags |= TcpPeerFlags.BeLiberal;
                }
                break;
            }
            case IpProtos.Udp:
            case L4View.Gre:
                timeout = StreamTimeout(c, seenReply, now);
                break;
            default:
                timeout = NonStreamTimeout(c.Timeouts, v.Proto, v.IsV6);
                break;
        }
        if (timeout >= 0) SetExpiry(c, now + timeout);
        if (c.InUnassuredList && c.Has(ConnStatus.Assured)) UnlinkUnassured(c);

        byte state = dir == 1
            ? (byte)(CtStateBits.Established | CtStateBits.ReplyDir)
            : seenReply ? CtStateBits.Established : c.Has(ConnStatus.Expected) ? CtStateBits.Related : CtStateBits.New;
        if (c.Has(ConnStatus.Expected)) state |= CtStateBits.Related;
        if (dir == 1) c.Status |= ConnStatus.SeenReply;
        // A later commit may attach a helper to a connection that has none (OVS "add_helper").
        if (req.Commit && req.Alg != CtAlg.None && c.Helper == CtAlg.None) c.Helper = req.Alg;

        // The helper sees packets of established ctinfo only (ftp help()); tftp looks at every packet.
        if (c.Helper == CtAlg.Ftp && v.Proto == IpProtos.Tcp && (dir == 1 || seenReply))
        {
            string? drop = FtpHelper.Process(this, c, dir, new TcpSegment(v.L4, v.Payload.Length), v.Payload, Settings.FtpMaxLine);
            if (drop != null) return Dropped(drop);
        }
        else if (c.Helper == CtAlg.Tftp && v.Proto == IpProtos.Udp)
        {
            string? drop = TftpHelper.Process(this, c, v.Payload);
            if (drop != null) return Dropped(drop);
        }
        if (req.Commit) ApplyMarkLabel(c, in req);
        SetKey(ref key, state, req.Zone, c, c.Label);
        if (kill) Remove(c);
        return CtOutcome.Continue;
    }

    private CtOutcome TrackNew(in ConnKey ck, bool fromA, in L4View v, ref FlowKey key, in CtRequest req, long now)
    {
        ushort zone = req.Zone;
        // ICMP replies and other non-request types with no entry cannot create one.
        if (v.IsIcmp && !fromA) return Invalid(ref key, zone);
        Expectation? exp = null;
        if (_expect.Count != 0 && v.Proto is IpProtos.Tcp or IpProtos.Udp)
            _expect.TryGet(ExpectKeyOf(in v, zone), now, out exp);

        var timeouts = TimeoutsFor(zone);
        Connection c;
        if (req.Commit) c = new Connection(in ck, fromA, timeouts, now);
        else { c = _scratch; c.Reset(in ck, fromA, timeouts, now); }

        long timeout;
        switch (v.Proto)
        {
            case IpProtos.Tcp:
            {
                var seg = new TcpSegment(v.L4, v.Payload.Length);
                if (!TcpTracker.New(c, in seg, Settings)) return Invalid(ref key, zone);
                var r = TcpTracker.Packet(c, 0, in seg, Settings, now, out timeout);
                if (r == TcpResult.Invalid) return Invalid(ref key, zone);
                if (timeout < 0) timeout = timeouts.TcpUnack;
                break;
            }
            case IpProtos.Udp:
            case L4View.Gre:
                timeout = StreamTimeout(c, false, now);
                break;
            default:
                timeout = NonStreamTimeout(timeouts, v.Proto, v.IsV6);
                break;
        }

        byte state = CtStateBits.New;
        var master = exp?.Master;
        if (master != null)
        {
            // init_conntrack: an expected entry is RELATED, takes the master's mark now and its labels at commit.
            state |= CtStateBits.Related;
            c.Status |= ConnStatus.Expected;
            c.Mark = master.Mark;
        }
        if (!req.Commit)
        {
            SetKey(ref key, state, zone, c, master?.Label ?? 0, master);
            return CtOutcome.Continue;
        }

        string? refused = MakeRoom(zone);
        if (refused != null) return Dropped(refused);
        if (master != null)
        {
            (c.Extras ??= new ConnExtras()).Master = master;
            c.Label = master.Label;
            _expect.Remove(exp!);
            Counters.ExpectationsMatched++;
        }
        c.Status |= ConnStatus.Confirmed;
        c.Helper = req.Alg;
        Insert(c);
        SetExpiry(c, now + timeout);
        ApplyMarkLabel(c, in req);
        if (c.Helper == CtAlg.Tftp && v.Proto == IpProtos.Udp)
        {
            string? drop = TftpHelper.Process(this, c, v.Payload);
            if (drop != null) return Dropped(drop);
        }
        SetKey(ref key, state, zone, c, c.Label);
        return CtOutcome.Continue;
    }

    /// <summary>udp_packet / gre_packet: unreplied timer until a reply; then, once the entry is over 2 s old,
    /// the stream timer and ASSURED.</summary>
    private static long StreamTimeout(Connection c, bool seenReply, long now)
    {
        bool gre = c.Key.Proto == L4View.Gre;
        var t = c.Timeouts;
        if (!seenReply) return gre ? t.GreUnreplied : t.UdpUnreplied;
        if (now - c.CreatedUs <= 2_000_000) return gre ? t.GreUnreplied : t.UdpUnreplied;
        c.Status |= ConnStatus.Assured;
        return gre ? t.GreStream : t.UdpStream;
    }

    private static long NonStreamTimeout(TimeoutTable t, byte proto, bool isV6) => proto switch
    {
        IpProtos.Icmp when !isV6 => t.Icmp,
        IpProtos.Icmpv6 when isV6 => t.Icmpv6,
        _ => t.Generic,
    };

    internal TimeoutTable TimeoutsFor(ushort zone) =>
        _zoneTimeouts.Count != 0 && _zoneTimeouts.TryGetValue(zone, out var t) ? t : _defaultTimeouts;

    /// <summary>Masked writes of ct(commit, exec(set_field:V/M->ct_mark|ct_label)); a zero mask writes nothing.</summary>
    private static void ApplyMarkLabel(Connection c, in CtRequest req)
    {
        if (req.SetMark && req.MarkMask != 0) c.Mark = (req.Mark & req.MarkMask) | (c.Mark & ~req.MarkMask);
        if (req.SetLabel && req.LabelMask != 0) c.Label = (req.Label & req.LabelMask) | (c.Label & ~req.LabelMask);
    }

    private CtOutcome Invalid(ref FlowKey key, ushort zone)
    {
        key.ClearCt();
        key.CtState = CtStateBits.Tracked | CtStateBits.Invalid;
        key.CtZone = zone;
        Counters.Invalid++;
        return CtOutcome.Continue;
    }

    /// <summary>ovs_ct_update_key: state, zone, mark, label, and the original tuple of the entry or, for a
    /// related entry, of its master.</summary>
    private static void SetKey(ref FlowKey key, byte state, ushort zone, Connection c, UInt128 label, Connection? master = null)
    {
        key.CtState = (byte)(state | CtStateBits.Tracked);
        key.CtZone = zone;
        key.CtMark = c.Mark;
        key.CtLabel = label;
        var src = master ?? c.Master ?? c;
        if (src.Key.IsV6 != c.Key.IsV6) src = c;
        var o = src.Original;
        key.CtNwProto = o.Proto;
        if (o.IsV6) { key.CtIpv6Src = o.Src; key.CtIpv6Dst = o.Dst; key.CtNwSrc = 0; key.CtNwDst = 0; }
        else { key.CtNwSrc = (uint)o.Src; key.CtNwDst = (uint)o.Dst; key.CtIpv6Src = 0; key.CtIpv6Dst = 0; }
        if (o.IsIcmp) { key.CtTpSrc = o.IcmpType; key.CtTpDst = o.IcmpCode; }
        else { key.CtTpSrc = o.SrcPort; key.CtTpDst = o.DstPort; }
    }
}
