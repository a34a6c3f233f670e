using Switch.Core.Packets;
using Switch.Core.Ports;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Node.Commands;

/// <summary>
/// The bundled sample conversation between host A (10.0.0.1, port 1) and host B (10.0.0.2, port 2), built
/// frame by frame: ARP, ping, a TCP connection A->B with data and FIN teardown, a UDP exchange, a UDP
/// datagram fragmented by its sender, a TCP SYN from B (a firewall must block it) and a stray ACK from B
/// that belongs to no connection (+inv under strict tracking; a new pickup under liberal).
/// </summary>
public static class SampleTraffic
{
    public const string A = "10.0.0.1", B = "10.0.0.2";
    public static readonly ulong MacHostA = Mac("02:00:00:00:00:0a"), MacHostB = Mac("02:00:00:00:00:0b");

    public static List<(uint Port, long TsUs, byte[] Frame)> Build()
    {
        var list = new List<(uint, long, byte[])>();
        long t = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
        void FromA(byte[] f) { t += 1000; list.Add((1, t, f)); }
        void FromB(byte[] f) { t += 1000; list.Add((2, t, f)); }
        uint ipA = Ip(A), ipB = Ip(B);

        FromA(Eth(0xffffffffffff, MacHostA, EtherTypes.Arp, Arp(1, MacHostA, ipA, 0, ipB)));
        FromB(Eth(MacHostA, MacHostB, EtherTypes.Arp, Arp(2, MacHostB, ipB, MacHostA, ipA)));
        for (ushort seq = 1; seq <= 2; seq++)
        {
            FromA(Eth(MacHostB, MacHostA, EtherTypes.Ipv4, Ipv4(ipA, ipB, IpProtos.Icmp, Icmp(8, 0, (0x1234u << 16) | seq, "ping"u8))));
            FromB(Eth(MacHostA, MacHostB, EtherTypes.Ipv4, Ipv4(ipB, ipA, IpProtos.Icmp, Icmp(0, 0, (0x1234u << 16) | seq, "ping"u8))));
        }
        // TCP A:40000 -> B:80, handshake, request, response, FIN teardown.
        uint ca = 1000, cb = 5000;
        var req = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();
        var resp = "HTTP/1.0 200 OK\r\n\r\nhello"u8.ToArray();
        FromA(TcpV4(A, B, 40000, 80, Syn, ca, 0, dlSrc: MacHostA, dlDst: MacHostB));
        FromB(TcpV4(B, A, 80, 40000, Syn | Ack, cb, ca + 1, dlSrc: MacHostB, dlDst: MacHostA));
        FromA(TcpV4(A, B, 40000, 80, Ack, ca + 1, cb + 1, dlSrc: MacHostA, dlDst: MacHostB));
        FromA(TcpV4(A, B, 40000, 80, Psh | Ack, ca + 1, cb + 1, req, MacHostA, MacHostB));
        FromB(TcpV4(B, A, 80, 40000, Psh | Ack, cb + 1, ca + 1 + (uint)req.Length, resp, MacHostB, MacHostA));
        uint aNext = ca + 1 + (uint)req.Length, bNext = cb + 1 + (uint)resp.Length;
        FromA(TcpV4(A, B, 40000, 80, Fin | Ack, aNext, bNext, dlSrc: MacHostA, dlDst: MacHostB));
        FromB(TcpV4(B, A, 80, 40000, Fin | Ack, bNext, aNext + 1, dlSrc: MacHostB, dlDst: MacHostA));
        FromA(TcpV4(A, B, 40000, 80, Ack, aNext + 1, bNext + 1, dlSrc: MacHostA, dlDst: MacHostB));
        // UDP A:5353 -> B:53 and the answer.
        FromA(UdpV4(A, B, 5353, 53, "query"u8, MacHostA, MacHostB));
        FromB(UdpV4(B, A, 53, 5353, "answer"u8, MacHostB, MacHostA));
        // A 3000-byte UDP datagram A -> B fragmented by the sender (MTU 1500): 1480 + 1480 + 48 bytes of L4.
        var big = new byte[3000 - 8];
        for (int i = 0; i < big.Length; i++) big[i] = (byte)i;
        var whole = Ipv4(ipA, ipB, IpProtos.Udp, Udp(6000, 7000, big), id: 0x4242);
        var l4 = whole.AsSpan(20).ToArray();
        for (int ofs = 0; ofs < l4.Length; ofs += 1480)
        {
            int n = Math.Min(1480, l4.Length - ofs);
            bool more = ofs + n < l4.Length;
            FromA(Eth(MacHostB, MacHostA, EtherTypes.Ipv4,
                Ipv4(ipA, ipB, IpProtos.Udp, l4.AsSpan(ofs, n), id: 0x4242, fragOffset: ofs, mf: more, fillL4Checksum: false)));
        }
        // B tries to open a connection to A: a stateful firewall drops it.
        FromB(TcpV4(B, A, 41000, 22, Syn, 9000, 0, dlSrc: MacHostB, dlDst: MacHostA));
        // A SYN-ACK from B that answers nothing: conntrack marks it invalid.
        FromB(TcpV4(B, A, 443, 42000, Syn | Ack, 7000, 77, dlSrc: MacHostB, dlDst: MacHostA));
        return list;
    }

    /// <summary>Writes host-a.pcap (port 1's input) and host-b.pcap (port 2's input) into <paramref name="dir"/>.</summary>
    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        using var a = new PcapWriter(Path.Combine(dir, "host-a.pcap"));
        using var b = new PcapWriter(Path.Combine(dir, "host-b.pcap"));
        foreach (var (port, ts, f) in Build()) (port == 1 ? a : b).Write(ts, f);
    }
}
