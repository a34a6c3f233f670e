using System.Runtime.InteropServices;
using SharpPcap;
using SharpPcap.LibPcap;
using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// A port on a real network interface through libpcap (SharpPcap): promiscuous, immediate mode, one capture
/// thread handing each frame to <see cref="Receive"/>, and pcap_inject on output.
/// Re-capture prevention: the capture direction is set to PCAP_D_IN (pcap_setdirection), so the frames this
/// port injects — which Linux loops back to packet sockets as PACKET_OUTGOING — are never captured again.
/// </summary>
public sealed class LivePort : IPort, IReceivingPort
{
    private const int PcapDirectionIn = 1;
    private readonly LibPcapLiveDevice _dev;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private long _kernelDropped, _ifDropped;

    private LivePort(uint number, string name, string iface, int mtu, LibPcapLiveDevice dev)
    {
        Number = number; Name = name; Interface = iface; Mtu = mtu; _dev = dev;
        _thread = new Thread(CaptureLoop) { IsBackground = true, Name = "capture " + iface };
    }

    public uint Number { get; }
    public string Name { get; }
    public string Interface { get; }
    public int Mtu { get; }
    public PortCounters Counters { get; } = new();
    /// <summary>Where captured frames go; called on the capture thread, one frame at a time.</summary>
    public Action<Packet>? Receive { get; set; }
    /// <summary>Frames the kernel dropped before libpcap read them (ring full): pcap_stats ps_drop.</summary>
    public long KernelDropped => Interlocked.Read(ref _kernelDropped);
    /// <summary>Frames the interface dropped (pcap_stats ps_ifdrop).</summary>
    public long InterfaceDropped => Interlocked.Read(ref _ifDropped);

    /// <summary>Opens <paramref name="iface"/>; every failure is a <see cref="PortOpenException"/> with a one-line message.</summary>
    public static LivePort Open(uint number, string name, string iface, int mtu = 0, int bufferBytes = 8 << 20)
    {
        LibPcapLiveDevice? dev;
        try { dev = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == iface); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new PortOpenException($"port {name}: libpcap is not installed (install libpcap0.8): {Inner(e).Message}");
        }
        catch (PcapException e) { throw new PortOpenException($"port {name}: cannot list interfaces: {e.Message}"); }
        if (dev is null) throw new PortOpenException($"port {name}: no interface '{iface}'");
        try
        {
            dev.Open(new DeviceConfiguration
            {
                Mode = DeviceModes.Promiscuous, Immediate = true, ReadTimeout = 100, Snaplen = 65535, BufferSize = bufferBytes,
            });
        }
        catch (Exception e) when (e is PcapException or DllNotFoundException)
        {
            var msg = e.Message.Replace('\n', ' ');
            if (msg.Contains("permitted", StringComparison.OrdinalIgnoreCase) || msg.Contains("permission", StringComparison.OrdinalIgnoreCase))
                msg += " (capturing needs root or CAP_NET_RAW+CAP_NET_ADMIN)";
            throw new PortOpenException($"port {name}: cannot open interface '{iface}': {msg}");
        }
        if (SetDirection(dev.Handle.DangerousGetHandle(), PcapDirectionIn) != 0)
        {
            dev.Close();
            throw new PortOpenException($"port {name}: pcap_setdirection(PCAP_D_IN) failed on '{iface}'");
        }
        var port = new LivePort(number, name, iface, mtu, dev);
        return port;
    }

    /// <summary>Starts the capture thread; call once <see cref="Receive"/> is set.</summary>
    public void Start() => _thread.Start();

    private void CaptureLoop()
    {
        var frames = 0;
        while (!_stopping)
        {
            GetPacketStatus st;
            PacketCapture cap;
            try { st = _dev.GetNextPacket(out cap); }
            catch (Exception) when (_stopping) { return; }
            if (st == GetPacketStatus.PacketRead)
            {
                var data = cap.Data;
                var tv = cap.Header.Timeval;
                long us = (long)tv.Seconds * 1_000_000 + (long)tv.MicroSeconds;
                // The only allocation per frame: the packet outlives this call (conntrack may hold fragments).
                var packet = Packet.From(data, Number, us);
                Interlocked.Increment(ref Counters.RxPackets);
                Interlocked.Add(ref Counters.RxBytes, data.Length);
                try { Receive?.Invoke(packet); }
                catch (Exception) { Interlocked.Increment(ref Counters.RxDropped); }
                if ((++frames & 1023) == 0) UpdateStats();
            }
            else if (st == GetPacketStatus.Error) { if (!_stopping) Interlocked.Increment(ref Counters.RxDropped); Thread.Sleep(10); }
            else if (st == GetPacketStatus.ReadTimeout) UpdateStats();
        }
    }

    private void UpdateStats()
    {
        try
        {
            var s = _dev.Statistics;
            Interlocked.Exchange(ref _kernelDropped, s.DroppedPackets);
            Interlocked.Exchange(ref _ifDropped, s.InterfaceDroppedPackets);
        }
        catch (PcapException) { }
    }

    public void Send(Packet packet)
    {
        var frame = packet.Span;
        if (PortMtu.Exceeds(frame, Mtu)) { Interlocked.Increment(ref Counters.TxDropped); return; }
        try { _dev.SendPacket(frame); }
        catch (PcapException) { Interlocked.Increment(ref Counters.TxDropped); return; }
        Interlocked.Increment(ref Counters.TxPackets);
        Interlocked.Add(ref Counters.TxBytes, frame.Length);
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        if (_thread.IsAlive) _thread.Join(2000);
        UpdateStats();
        _dev.Close();
    }

    private static Exception Inner(Exception e) => e is TypeInitializationException { InnerException: { } i } ? i : e;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int PcapSetDirection(IntPtr p, int direction);

    // SharpPcap binds libpcap by its runtime soname (libpcap0.8 ships libpcap.so.0.8 and no libpcap.so), but does
    // not expose pcap_setdirection: bind it from the same library.
    private static readonly Lazy<PcapSetDirection?> SetDirectionFn = new(() =>
    {
        foreach (var lib in new[] { "libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.dylib" })
            if (NativeLibrary.TryLoad(lib, out var h) && NativeLibrary.TryGetExport(h, "pcap_setdirection", out var f))
                return Marshal.GetDelegateForFunctionPointer<PcapSetDirection>(f);
        return null;
    });

    private static int SetDirection(IntPtr p, int direction) => SetDirectionFn.Value is { } f ? f(p, direction) : -1;
}
