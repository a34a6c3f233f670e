using Xunit;
using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts;
using F = Switch.Core.Packets.FrameBuilder;

namespace Switch.Tests.Conntrack;

/// <summary>Drives a <see cref="ConntrackEngine"/> with real frames parsed by <see cref="PacketParser"/>.</summary>
internal sealed class CtHarness
{
    public readonly ManualClock Clock = new(1_000_000_000);
    public readonly ConntrackEngine Engine;
    public FlowKey LastKey;
    public Packet? LastPacket;
    public CtOutcome LastOutcome;

    public CtHarness(ConntrackSettings? settings = null) => Engine = new ConntrackEngine(Clock, settings);

    /// <summary>ct_state names as flow text writes them, e.g. "trk,new" -> Tracked|New.</summary>
    public static byte St(string names)
    {
        byte b = 0;
        foreach (var n in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            bool found = false;
            foreach (var (name, bit) in CtStateBits.Names)
                if (name == n) { b |= bit; found = true; }
            if (!found) throw new ArgumentException(n);
        }
        return b;
    }

    public static string Names(byte state)
    {
        var parts = new List<string>();
        foreach (var (name, bit) in CtStateBits.Names) if ((state & bit) != 0) parts.Add(name);
        return string.Join(",", parts);
    }

    public CtOutcome Run(byte[] frame, in CtRequest req, uint inPort = 1)
    {
        var p = Packet.From(frame, inPort);
        var k = default(FlowKey);
        var pr = PacketParser.Parse(p.Span, inPort, ref k);
        if (pr != ParseResult.Ok) throw new InvalidOperationException($"test frame does not parse: {pr}");
        LastOutcome = Engine.Execute(ref p, ref k, in req);
        LastKey = k;
        LastPacket = p;
        return LastOutcome;
    }

    /// <summary>Runs a frame and returns its ct_state names ("trk,new"), or "DROP:reason" / "STOLEN".</summary>
    public string Ct(byte[] frame, ushort zone = 0, bool commit = false, CtAlg alg = CtAlg.None, bool force = false)
        => Ct(frame, new CtRequest(zone, commit, force, alg));

    public string Ct(byte[] frame, in CtRequest req)
    {
        var o = Run(frame, req);
        return o.Verdict switch
        {
            CtVerdict.Drop => "DROP:" + o.DropReason,
            CtVerdict.Stolen => "STOLEN",
            _ => Names(LastKey.CtState),
        };
    }

    public void Advance(double seconds) => Clock.Advance(TimeSpan.FromSeconds(seconds));

    // Common endpoints.
    public const string A = "10.0.0.1", B = "10.0.0.2", C = "10.0.0.3";

    public static byte[] Tcp(string src, string dst, ushort sp, ushort dp, byte flags, uint seq, uint ack,
        string? payload = null, ushort window = 65535, byte[]? options = null) =>
        F.Eth(F.MacB, F.MacA, EtherTypes.Ipv4, F.Ipv4(F.Ip(src), F.Ip(dst), IpProtos.Tcp,
            F.Tcp(sp, dp, flags, seq, ack, window, payload == null ? default : System.Text.Encoding.ASCII.GetBytes(payload), options)));

    public static byte[] Tcp6(string src, string dst, ushort sp, ushort dp, byte flags, uint seq, uint ack, string? payload = null)
    {
        var s = F.Ip6(src); var d = F.Ip6(dst);
        return F.Eth(F.MacB, F.MacA, EtherTypes.Ipv6, F.Ipv6(s, d, IpProtos.Tcp,
            F.Tcp(sp, dp, flags, seq, ack, 65535, payload == null ? default : System.Text.Encoding.ASCII.GetBytes(payload))));
    }

    public static byte[] Udp(string src, string dst, ushort sp, ushort dp, byte[]? payload = null) =>
        F.UdpV4(src, dst, sp, dp, payload ?? new byte[] { 1, 2, 3, 4 });

    public static byte[] Icmp(string src, string dst, byte type, byte code, ushort id, ushort seq = 1, byte[]? payload = null) =>
        F.Eth(F.MacB, F.MacA, EtherTypes.Ipv4, F.Ipv4(F.Ip(src), F.Ip(dst), IpProtos.Icmp,
            F.Icmp(type, code, ((uint)id << 16) | seq, payload ?? new byte[] { 0xde, 0xad })));

    public static byte[] Icmp6(string src, string dst, byte type, byte code, uint rest, byte[]? payload = null) =>
        F.Eth(F.MacB, F.MacA, EtherTypes.Ipv6, F.Ipv6(F.Ip6(src), F.Ip6(dst), IpProtos.Icmpv6,
            F.Icmp(type, code, rest, payload ?? new byte[] { 0xde, 0xad })));

    /// <summary>The L3 datagram inside an Ethernet frame (for quoting in ICMP errors).</summary>
    public static byte[] L3(byte[] frame) => frame[14..];

    /// <summary>A full TCP handshake A:sp -> B:dp committed in <paramref name="zone"/>; returns next seqs.</summary>
    public (uint cseq, uint sseq) Handshake(string a, string b, ushort sp, ushort dp, ushort zone = 0,
        CtAlg alg = CtAlg.None, CtRequest? commitReq = null)
    {
        var req = commitReq ?? new CtRequest(zone, Commit: true, Alg: alg);
        Assert.Equal("new,trk", Ct(Tcp(a, b, sp, dp, F.Syn, 1000, 0), req));
        Assert.Equal("est,rpl,trk", Ct(Tcp(b, a, dp, sp, F.Syn | F.Ack, 5000, 1001), zone));
        Assert.Equal("est,trk", Ct(Tcp(a, b, sp, dp, F.Ack, 1001, 5001), zone));
        return (1001, 5001);
    }
}
