using Switch.Core.Packets;

namespace Switch.Bench;

/// <summary>
/// Real frames for the suites, built with <see cref="FrameBuilder"/> (valid checksums), so the parser walks the
/// same headers it meets on a wire. Addresses vary with the index so keys differ; payload sizes are typical
/// (a small HTTP segment, a DNS query, a ping) rather than MTU-sized, which would only inflate the copy baseline.
/// </summary>
public static class BenchFrames
{
    public const ulong Broadcast = 0xff_ff_ff_ff_ff_ff;
    public const ushort Vlan = 100;
    /// <summary>The MACs <see cref="FrameBuilder"/> uses by default (FrameBuilder.MacA/MacB are not constants).</summary>
    public const ulong HostA = 0x02_00_00_00_00_0a, HostB = 0x02_00_00_00_00_0b;

    private static readonly byte[] HttpPayload = new byte[64];
    private static readonly byte[] DnsPayload = new byte[40];
    private static readonly byte[] PingPayload = new byte[56];

    /// <summary>IPv4 destination 10.{1,2,3}.x.y: the replay pipeline's table 2 routes on the second octet.</summary>
    public static uint DstV4(int i) => 0x0A00_0000u | (uint)(1 + i % 3) << 16 | (uint)(i * 7 & 0xffff);
    public static uint SrcV4(int i) => 0x0A00_0000u | (uint)(i & 0xffff);

    public static byte[] Build(FrameKind kind, int i, ulong dlSrc = HostA, ulong dlDst = HostB)
    {
        ushort sport = (ushort)(32768 + i % 28000);
        switch (kind)
        {
            case FrameKind.TcpV4:
                return FrameBuilder.Eth(dlDst, dlSrc, EtherTypes.Ipv4, TcpV4Datagram(i, sport));
            case FrameKind.UdpV4:
                return FrameBuilder.Eth(dlDst, dlSrc, EtherTypes.Ipv4,
                    FrameBuilder.Ipv4(SrcV4(i), DstV4(i), IpProtos.Udp, FrameBuilder.Udp(sport, 53, DnsPayload)));
            case FrameKind.TcpV6:
            {
                UInt128 src = (UInt128)0x2001_0db8_0000_0000UL << 64 | (uint)i;
                UInt128 dst = (UInt128)0x2001_0db8_0001_0000UL << 64 | (uint)(i * 7);
                return FrameBuilder.Eth(dlDst, dlSrc, EtherTypes.Ipv6, FrameBuilder.Ipv6(src, dst, IpProtos.Tcp,
                    FrameBuilder.Tcp(sport, 443, FrameBuilder.Ack | FrameBuilder.Psh, (uint)i, 1, 65535, HttpPayload)));
            }
            case FrameKind.IcmpV4:
                return FrameBuilder.Eth(dlDst, dlSrc, EtherTypes.Ipv4, FrameBuilder.Ipv4(SrcV4(i), DstV4(i), IpProtos.Icmp,
                    FrameBuilder.Icmp(8, 0, (uint)(i << 16 | (i & 0xffff)), PingPayload)));
            case FrameKind.VlanTcpV4:
                return FrameBuilder.Eth(dlDst, dlSrc, EtherTypes.Ipv4, TcpV4Datagram(i, sport), Vlan);
            case FrameKind.Arp:
                // A request is broadcast; with a unicast destination it is the reply.
                ushort op = dlDst == Broadcast ? (ushort)1 : (ushort)2;
                return FrameBuilder.Eth(dlDst, dlSrc, EtherTypes.Arp,
                    FrameBuilder.Arp(op, dlSrc, SrcV4(i), op == 1 ? 0 : dlDst, DstV4(i)));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary><paramref name="count"/> frames, the kinds in equal shares, shuffled (fixed seed) so the parser's
    /// branches are not trained on a repeating pattern.</summary>
    public static byte[][] Mix(int count, int seed = 42)
    {
        var kinds = Enum.GetValues<FrameKind>();
        var frames = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            var kind = kinds[i % kinds.Length];
            frames[i] = Build(kind, i, HostA, kind == FrameKind.Arp ? Broadcast : HostB);
        }
        new Random(seed).Shuffle(frames);
        return frames;
    }

    private static byte[] TcpV4Datagram(int i, ushort sport) =>
        FrameBuilder.Ipv4(SrcV4(i), DstV4(i), IpProtos.Tcp,
            FrameBuilder.Tcp(sport, 80, FrameBuilder.Ack | FrameBuilder.Psh, (uint)i, 1, 65535, HttpPayload));
}
