using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Xunit;

namespace Switch.Tests.Live;

/// <summary>Real traffic between two namespaces, with .NET sockets created inside them (see <see cref="NetNs.Inside"/>).</summary>
public static class Traffic
{
    /// <summary>A connects to B and sends <paramref name="bytes"/> random bytes; B must receive them intact.</summary>
    public static async Task TcpTransfer(string nsA, string nsB, string ipB, int port, int bytes)
    {
        using var listener = NetNs.Inside(nsB, () => Listen(ipB, port));
        using var client = NetNs.Inside(nsA, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        var data = RandomNumberGenerator.GetBytes(bytes);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var accept = listener.AcceptAsync(cts.Token).AsTask();
        await client.ConnectAsync(new IPEndPoint(IPAddress.Parse(ipB), port), cts.Token);
        using var server = await accept;
        var receive = ReadAll(server, cts.Token);
        int sent = 0;
        while (sent < data.Length) sent += await client.SendAsync(data.AsMemory(sent), SocketFlags.None, cts.Token);
        client.Shutdown(SocketShutdown.Send);
        var got = await receive;
        Assert.Equal(data.Length, got.Length);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(got));
    }

    /// <summary>B tries to open a connection to A; it must not get through within <paramref name="wait"/>.</summary>
    public static async Task<bool> TcpConnects(string nsFrom, string nsTo, string ipTo, int port, TimeSpan wait)
    {
        using var listener = NetNs.Inside(nsTo, () => Listen(ipTo, port));
        using var client = NetNs.Inside(nsFrom, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var cts = new CancellationTokenSource(wait);
        try { await client.ConnectAsync(new IPEndPoint(IPAddress.Parse(ipTo), port), cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
        catch (SocketException) { return false; }
    }

    /// <summary>One UDP datagram of <paramref name="bytes"/> from A to B (the sender's kernel fragments it); the bytes B receives.</summary>
    public static async Task<byte[]?> UdpDatagram(string nsA, string nsB, string ipB, int port, byte[] payload)
    {
        using var rx = NetNs.Inside(nsB, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse(ipB), port));
            return s;
        });
        using var tx = NetNs.Inside(nsA, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        var buf = new byte[65536];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var receive = rx.ReceiveAsync(buf, SocketFlags.None, cts.Token).AsTask();
        await tx.SendToAsync(payload, SocketFlags.None, new IPEndPoint(IPAddress.Parse(ipB), port));
        try { int n = await receive; return buf[..n]; }
        catch (OperationCanceledException) { return null; }
    }

    public static (int Code, string Output) Ping(string ns, string ip, int count = 3) =>
        NetNs.In(ns, "ping", "-c", count.ToString(), "-i", "0.2", "-W", "2", ip);

    private static Socket Listen(string ip, int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        s.Bind(new IPEndPoint(IPAddress.Parse(ip), port));
        s.Listen(4);
        return s;
    }

    private static async Task<byte[]> ReadAll(Socket s, CancellationToken ct)
    {
        var ms = new MemoryStream();
        var buf = new byte[65536];
        int n;
        while ((n = await s.ReceiveAsync(buf, SocketFlags.None, ct)) > 0) ms.Write(buf, 0, n);
        return ms.ToArray();
    }
}
