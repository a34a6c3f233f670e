namespace Switch.Contracts;

/// <summary>
/// ct_state bits exactly as the Linux change "openvswitch: Add conntrack action" defines them
/// (OVS_CS_F_*): one numbering for the engine, messages, dumps, traces and flow text.
/// </summary>
public static class CtStateBits
{
    public const byte New = 0x01;
    public const byte Established = 0x02;
    public const byte Related = 0x04;
    public const byte Invalid = 0x20;
    public const byte ReplyDir = 0x40;
    public const byte Tracked = 0x80;

    /// <summary>OVS flow-text names, in bit order (the order flow text prints them).</summary>
    public static readonly (string Name, byte Bit)[] Names =
    {
        ("new", New), ("est", Established), ("rel", Related), ("inv", Invalid), ("rpl", ReplyDir), ("trk", Tracked),
    };

    public const byte AllKnown = New | Established | Related | Invalid | ReplyDir | Tracked;

    /// <summary>"+new+trk": the set bits' names in bit order, as flow text, traces and packet-out answers print them
    /// ("0" when none is set).</summary>
    public static string Format(byte state)
    {
        var text = string.Concat(Names.Where(n => (state & n.Bit) != 0).Select(n => "+" + n.Name));
        return text.Length == 0 ? "0" : text;
    }
}
