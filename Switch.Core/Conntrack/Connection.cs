using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// One tracked connection: key (zone + canonical tuple) and which endpoint opened it, status bits, the TCP
/// tracker, mark, label, helper and expiry. Self-contained so the cluster can move it between actors; the
/// engine's bookkeeping links (unassured list) are internal.
/// </summary>
public sealed class Connection
{
    private ConnKey _key;
    private bool _origIsA;

    public ConnKey Key => _key;
    /// <summary>The original direction runs from endpoint A to B (for ICMP always true: A is the requester).</summary>
    public bool OrigIsA => _origIsA;
    public ConnStatus Status;
    public CtAlg Helper;
    public uint Mark;
    public UInt128 Label;
    public long CreatedUs;
    public long ExpiresUs;
    public TimeoutTable Timeouts;
    public TcpTrack Tcp;
    public ConnExtras? Extras;
    /// <summary>The owner's note on this entry (the cluster's lease holder points it at the lease), never read by the engine.</summary>
    public object? Tag;

    /// <summary>Earliest deadline this connection has in the engine's expiry heap (lazy invalidation).</summary>
    internal long HeapDeadlineUs = long.MaxValue;
    internal Connection? UnassuredPrev, UnassuredNext;
    internal bool InUnassuredList;

    public Connection(in ConnKey key, bool origIsA, TimeoutTable timeouts, long nowUs)
    {
        _key = key; _origIsA = origIsA; Timeouts = timeouts; CreatedUs = nowUs; ExpiresUs = nowUs;
    }

    /// <summary>Re-initialises the engine's scratch entry for an uncommitted lookup (no allocation per packet).</summary>
    internal void Reset(in ConnKey key, bool origIsA, TimeoutTable timeouts, long nowUs)
    {
        _key = key; _origIsA = origIsA; Timeouts = timeouts; CreatedUs = nowUs; ExpiresUs = nowUs;
        Status = ConnStatus.None; Helper = CtAlg.None; Mark = 0; Label = 0; Tcp = default; Extras = null;
    }

    public ushort Zone => Key.Zone;
    public bool Has(ConnStatus s) => (Status & s) != 0;
    public Connection? Master => Extras?.Master;

    /// <summary>The original-direction tuple.</summary>
    public CtTuple Original
    {
        get
        {
            ref readonly var k = ref _key;
            if (k.Proto is IpProtos.Icmp or IpProtos.Icmpv6)
                return new CtTuple(k.IsV6, k.Proto, k.AddrA, k.AddrB, 0, 0, k.PortA, (byte)(k.PortB >> 8), (byte)k.PortB);
            return OrigIsA
                ? new CtTuple(k.IsV6, k.Proto, k.AddrA, k.AddrB, k.PortA, k.PortB)
                : new CtTuple(k.IsV6, k.Proto, k.AddrB, k.AddrA, k.PortB, k.PortA);
        }
    }

    public CtTuple Reply => Original.Invert();

    public override string ToString() => $"{Original.Format()} status={Status} tcp={Tcp.State}";
}
