using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// A VXLAN tunnel port (RFC 7348): Ethernet frames in UDP with an 8-byte header (flags 0x08 = valid VNI,
/// 24-bit VNI). Output floods the frame to every configured remote with the port's VNI; a received frame enters
/// the pipeline on this port with tun_id = its VNI and tun_src = the sender's IPv4 address, as OVS sets them.
/// Frames for a port that lives on another DistSwitch node travel through <see cref="RemotePort"/> with a VNI
/// of <see cref="DeliveryVniBase"/> + that port's number: the sending node has already run the pipeline, so the
/// receiving node hands them straight to the port (<see cref="Deliver"/>) instead of processing them again.
/// </summary>
public sealed class VxlanPort : IReceivingPort
{
    public const int HeaderLength = 8;
    /// <summary>VNIs at and above this carry node-to-node deliveries; below, ordinary tunnel traffic.</summary>
    public const uint DeliveryVniBase = 0xF00000;
    private readonly Socket _socket;
    private readonly IPEndPoint[] _remotes;
    private readonly Thread _thread;
    private readonly Lock _sendLock = new();
    private readonly byte[] _sendBuf = new byte[65536];
    private volatile bool _stopping;
    private long _ourDropped;

    public VxlanPort(uint number, string name, IPEndPoint local, uint vni, IEnumerable<IPEndPoint> remotes, int mtu = 0)
    {
        if (vni >= DeliveryVniBase) throw new PortOpenException($"port {name}: vni must be below {DeliveryVniBase} (0x{DeliveryVniBase:x}), got {vni}");
        Number = number; Name = name; Vni = vni; Mtu = mtu; _remotes = remotes.ToArray();
        _socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 << 20;
        try { _socket.Bind(local); }
        catch (SocketException e) { _socket.Dispose(); throw new PortOpenException($"port {name}: cannot bind VXLAN UDP {local}: {e.Message}"); }
        Local = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = "vxlan " + Local };
    }

    public uint Number { get; }
    public string Name { get; }
    public uint Vni { get; }
    public int Mtu { get; }
    public IPEndPoint Local { get; }
    public IReadOnlyList<IPEndPoint> Remotes => _remotes;
    public PortCounters Counters { get; } = new();
    public Action<Packet>? Receive { get; set; }
    /// <summary>Where a delivery from another node goes: (local port number, frame).</summary>
    public Action<uint, Packet>? Deliver { get; set; }
    /// <summary>Datagrams that were not VXLAN (short, I flag clear) or found no receiver.</summary>
    public long KernelDropped => Interlocked.Read(ref _ourDropped);

    public void Start() => _thread.Start();

    public void Send(Packet packet)
    {
        if (PortMtu.Exceeds(packet.Span, Mtu)) { Interlocked.Increment(ref Counters.TxDropped); return; }
        foreach (var r in _remotes) SendTo(packet.Span, r, Vni);
    }

    /// <summary>Encapsulates one frame to <paramref name="remote"/> with <paramref name="vni"/>.</summary>
    public void SendTo(ReadOnlySpan<byte> frame, IPEndPoint remote, uint vni)
    {
        lock (_sendLock)
        {
            var b = _sendBuf.AsSpan();
            if (frame.Length + HeaderLength > b.Length) { Interlocked.Increment(ref Counters.TxDropped); return; }
            BinaryPrimitives.WriteUInt32BigEndian(b, 0x08000000);
            BinaryPrimitives.WriteUInt32BigEndian(b[4..], vni << 8);
            frame.CopyTo(b[HeaderLength..]);
            try { _socket.SendTo(b[..(frame.Length + HeaderLength)], SocketFlags.None, remote); }
            catch (SocketException) { Interlocked.Increment(ref Counters.TxDropped); return; }
        }
        Interlocked.Increment(ref Counters.TxPackets);
        Interlocked.Add(ref Counters.TxBytes, frame.Length);
    }

    private void ReceiveLoop()
    {
        var buf = new byte[65536];
        EndPoint from = new IPEndPoint(Local.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stopping)
        {
            int n;
            try { n = _socket.ReceiveFrom(buf, ref from); }
            catch (SocketException) when (!_stopping) { continue; }
            catch (Exception) { return; }
            // RFC 7348 §5: the I flag must be set; other reserved bits are ignored on receipt.
            if (n < HeaderLength + 14 || (buf[0] & 0x08) == 0) { Interlocked.Increment(ref _ourDropped); continue; }
            uint vni = BinaryPrimitives.ReadUInt32BigEndian(buf.AsSpan(4)) >> 8;
            var src = (IPEndPoint)from;
            var frame = buf.AsSpan(HeaderLength, n - HeaderLength);
            var packet = Packet.From(frame, Number, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
            Interlocked.Increment(ref Counters.RxPackets);
            Interlocked.Add(ref Counters.RxBytes, frame.Length);
            try
            {
                if (vni >= DeliveryVniBase)
                {
                    if (Deliver is { } d) d(vni - DeliveryVniBase, packet); else Interlocked.Increment(ref _ourDropped);
                    continue;
                }
                packet.TunId = vni;
                packet.TunSrc = src.Address.AddressFamily == AddressFamily.InterNetwork
                    ? BinaryPrimitives.ReadUInt32BigEndian(src.Address.GetAddressBytes()) : 0;
                if (Receive is { } r) r(packet); else Interlocked.Increment(ref _ourDropped);
            }
            catch (Exception) { Interlocked.Increment(ref Counters.RxDropped); }
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _socket.Dispose();
        if (_thread.IsAlive) _thread.Join(2000);
    }
}
