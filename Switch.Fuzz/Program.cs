using Switch.Core.Packets;
using static Switch.Core.Packets.FrameBuilder;

namespace Switch.Fuzz;

/// <summary>
/// dswitch-fuzz TARGET                 run under AFL++ (afl-fuzz ... -- dotnet dswitch-fuzz.dll TARGET), see deploy/fuzz.sh
/// dswitch-fuzz TARGET --replay DIR    run every file of DIR through TARGET once; exit 1 naming the files that crash
/// dswitch-fuzz --seed DIR             write the seed corpus (DIR/TARGET/*)
/// Targets: pcap, frame, flow, ftp, api.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--seed") { Seeds.Write(args[1]); return 0; }
        if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
        {
            Console.Error.WriteLine($"usage: dswitch-fuzz TARGET [--replay DIR] | --seed DIR   (targets: {string.Join(", ", FuzzTargets.All.Keys)})");
            return 2;
        }
        if (args.Length == 3 && args[1] == "--replay")
        {
            var crashes = Replay(target, args[2]);
            foreach (var c in crashes) Console.Error.WriteLine(c);
            Console.WriteLine($"{args[0]}: {Directory.GetFiles(args[2]).Length} inputs, {crashes.Count} crashes");
            return crashes.Count == 0 ? 0 : 1;
        }
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            target(ms.ToArray());
        });
        return 0;
    }

    /// <summary>Each file of <paramref name="dir"/> through the target: the files whose run threw.</summary>
    public static List<string> Replay(Action<byte[]> target, string dir)
    {
        var crashes = new List<string>();
        foreach (var file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
        {
            try { target(File.ReadAllBytes(file)); }
            catch (Exception e) { crashes.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}"); }
        }
        return crashes;
    }
}

/// <summary>The seed corpus: small valid inputs of each kind that AFL++ mutates from.</summary>
public static class Seeds
{
    public static void Write(string dir)
    {
        void Put(string target, string name, byte[] data)
        {
            Directory.CreateDirectory(Path.Combine(dir, target));
            File.WriteAllBytes(Path.Combine(dir, target, name), data);
        }
        var syn = TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Syn, 1000);
        var synAck = TcpV4("10.0.0.2", "10.0.0.1", 80, 40000, Syn | Ack, 5000, 1001, dlSrc: MacB, dlDst: MacA);
        var ack = TcpV4("10.0.0.1", "10.0.0.2", 40000, 80, Ack, 1001, 5001);
        var ftpPort = TcpV4("10.0.0.1", "10.0.0.2", 40001, 21, Ack | Psh, 1, 1, payload: "PORT 10,0,0,1,156,64\r\n"u8);
        var udp6 = TcpV6("2001:db8::1", "2001:db8::2", 40000, 22, Syn, 7);

        // pcap: a classic capture and a pcapng one.
        var pcap = new MemoryStream();
        using (var w = new Switch.Core.Ports.PcapWriter(pcap, leaveOpen: true)) { w.Write(1, syn); w.Write(2, synAck); }
        Put("pcap", "classic.pcap", pcap.ToArray());
        Put("pcap", "section.pcapng", PcapNg(syn, synAck));

        // frame: length, port, frame ...
        Put("frame", "tcp-handshake", Frames((1, syn), (2, synAck), (1, ack)));
        Put("frame", "ftp-port", Frames((1, syn), (1, ftpPort)));
        Put("frame", "ipv6-syn", Frames((1, udp6)));
        Put("frame", "udp", Frames((1, UdpV4("10.0.0.1", "10.0.0.2", 5000, 69, "\0\u0001file\0octet\0"u8))));

        Put("flow", "firewall", "table=1,priority=100,ct_state=+trk+new,tcp,tp_dst=21 actions=ct(commit,zone=1,alg=ftp),output:2"u8.ToArray());
        Put("flow", "fields", "ip,nw_src=10.0.0.0/8,tcp,tp_dst=80 actions=load:0x5->NXM_NX_REG0[0..3],move:NXM_NX_REG0[0..15]->NXM_NX_REG1[0..15],resubmit(,2)"u8.ToArray());
        Put("ftp", "port", "PORT 10,0,0,1,156,64"u8.ToArray());
        Put("ftp", "eprt", "EPRT |2|2001:db8::1|40000|"u8.ToArray());
        Put("ftp", "pasv", "227 Entering Passive Mode (10,0,0,2,156,64)."u8.ToArray());
        Put("ftp", "epsv", "229 Entering Extended Passive Mode (|||40000|)"u8.ToArray());
        Put("api", "add-flows", [0, .. "{\"flows\":[\"ip actions=ct(commit),output:2\"]}"u8]);
        Put("api", "packet-out", [5, .. System.Text.Encoding.UTF8.GetBytes($"{{\"inPort\":1,\"packetsHex\":[\"{Convert.ToHexString(syn)}\"]}}")]);
        Put("api", "flush", [3, .. "{\"zone\":1,\"tuple\":\"tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1,dport=2)\"}"u8]);
        Put("api", "trace", [4, .. "{\"packet\":\"in_port=1,tcp,nw_src=10.0.0.1,tp_dst=80\"}"u8]);
    }

    private static byte[] Frames(params (uint Port, byte[] Frame)[] frames)
    {
        var o = new List<byte>();
        foreach (var (port, f) in frames) { o.Add((byte)(f.Length >> 8)); o.Add((byte)f.Length); o.Add((byte)(port - 1)); o.AddRange(f); }
        return o.ToArray();
    }

    private static byte[] PcapNg(params byte[][] frames)
    {
        var o = new List<byte>();
        void U32(uint v) => o.AddRange(BitConverter.GetBytes(v));
        void Block(uint type, byte[] body)
        {
            uint len = (uint)(12 + ((body.Length + 3) & ~3));
            U32(type); U32(len); o.AddRange(body);
            for (int i = body.Length; i % 4 != 0; i++) o.Add(0);
            U32(len);
        }
        Block(0x0A0D0D0A, [.. BitConverter.GetBytes(0x1A2B3C4Du), 1, 0, 0, 0, .. BitConverter.GetBytes(-1L)]);
        Block(1, [1, 0, 0, 0, 0, 0, 0, 0]);
        foreach (var f in frames)
            Block(6, [.. BitConverter.GetBytes(0u), .. BitConverter.GetBytes(0u), .. BitConverter.GetBytes(1u),
                .. BitConverter.GetBytes((uint)f.Length), .. BitConverter.GetBytes((uint)f.Length), .. f]);
        return o.ToArray();
    }
}
