using Switch.Core.Packets;

namespace Switch.Core.Datapath;

/// <summary>
/// One OpenFlow match field: its flow-text name, where it lives in <see cref="FlowKey"/>'s words and how it is
/// written. 128-bit fields span two words (high word first). <see cref="PacketWrite"/> says the field is
/// carried in the packet (so set_field rewrites bytes) rather than being pipeline metadata.
/// </summary>
public sealed class FieldDef
{
    public string Name { get; }
    public int Word { get; }
    public int Shift { get; }
    public int Bits { get; }
    public FieldFormat Format { get; }
    public Prereq Prereq { get; }
    public bool Writable { get; }
    public bool PacketWrite { get; }
    /// <summary>Order in canonical flow text (lower first).</summary>
    public int Order { get; }

    public FieldDef(string name, int word, int shift, int bits, FieldFormat format, Prereq prereq, int order,
        bool writable = true, bool packetWrite = false)
    {
        Name = name; Word = word; Shift = shift; Bits = bits; Format = format; Prereq = prereq; Order = order;
        Writable = writable; PacketWrite = packetWrite;
    }

    public bool Is128 => Bits == 128;

    public UInt128 AllOnes => Bits == 128 ? UInt128.MaxValue : (UInt128.One << Bits) - 1;

    public UInt128 Get(in FlowKey k) =>
        Is128 ? new UInt128(k.W[Word], k.W[Word + 1]) : k.Get(Word, Shift, Bits);

    public void Set(ref FlowKey k, UInt128 v)
    {
        if (Is128) { k.W[Word] = (ulong)(v >> 64); k.W[Word + 1] = (ulong)v; }
        else k.Set(Word, Shift, Bits, (ulong)v);
    }

    /// <summary>Writes a value/mask pair into a match's value and mask words.</summary>
    public void SetMasked(ref FlowKey value, ref FlowKey mask, UInt128 v, UInt128 m)
    {
        m &= AllOnes;
        Set(ref value, (v & m) | (Get(value) & ~m));
        Set(ref mask, m | Get(mask));
    }

    public override string ToString() => Name;
}
