using Switch.Core.Conntrack;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>Expectation keys and records on the wire.</summary>
public static class ExpectWire
{
    public const string Prefix = "e/";

    public static string EntityId(in ExpectKey k) =>
        $"{Prefix}{k.Zone}/{k.Proto}/{(k.IsV6 ? '6' : '4')}/{k.Src:x}/{k.Dst:x}/{k.DstPort}";

    public static ExpectKey Key(ExpectData d) =>
        new(d.Zone, d.Proto, d.IsV6, new UInt128(d.SrcHi, d.SrcLo), new UInt128(d.DstHi, d.DstLo), d.DstPort);

    public static ExpectData From(Expectation e, string masterEntity)
    {
        var k = e.Key; var m = e.Master; var mk = m.Key;
        return new ExpectData(k.Zone, k.Proto, k.IsV6, (ulong)(k.Src >> 64), (ulong)k.Src, (ulong)(k.Dst >> 64), (ulong)k.Dst, k.DstPort,
            (byte)e.Helper, masterEntity, mk.IsV6, mk.Proto, (ulong)(mk.AddrA >> 64), (ulong)mk.AddrA, (ulong)(mk.AddrB >> 64), (ulong)mk.AddrB,
            mk.PortA, mk.PortB, m.OrigIsA, m.Mark, (ulong)(m.Label >> 64), (ulong)m.Label, e.ExpiresUs);
    }

    public static void Import(ConntrackEngine engine, ExpectData d)
    {
        var mk = new ConnKey(d.Zone, d.MasterProto, d.MasterIsV6, new UInt128(d.MasterAHi, d.MasterALo),
            new UInt128(d.MasterBHi, d.MasterBLo), d.MasterPortA, d.MasterPortB);
        engine.ImportExpectation(Key(d), (CtAlg)d.Helper, mk, d.MasterOrigIsA, d.Mark, new UInt128(d.LabelHi, d.LabelLo), d.ExpiresUs);
    }
}
