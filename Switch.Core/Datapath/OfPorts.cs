namespace Switch.Core.Datapath;

/// <summary>OpenFlow 1.0 reserved port numbers as ovs-ofctl writes them.</summary>
public static class OfPorts
{
    public const uint Max = 0xff00, InPort = 0xfff8, Table = 0xfff9, Normal = 0xfffa, Flood = 0xfffb, All = 0xfffc,
        Controller = 0xfffd, Local = 0xfffe, None = 0xffff;

    /// <summary>Every port number a flow outputs to (numbered ports and LOCAL; not the reserved ones), in order.</summary>
    public static SortedSet<uint> OutputPorts(IEnumerable<Flow> flows)
    {
        var set = new SortedSet<uint>();
        foreach (var f in flows)
            foreach (var a in f.Actions)
                if (a is OutputAction o && (o.Port < Max || o.Port == Local)) set.Add(o.Port);
        return set;
    }

    public static string Name(uint p) => p switch
    {
        InPort => "IN_PORT", Normal => "NORMAL", Flood => "FLOOD", All => "ALL", Controller => "CONTROLLER",
        Local => "LOCAL", None => "NONE", _ => p.ToString(),
    };

    public static uint? Parse(string s) => s.ToUpperInvariant() switch
    {
        "IN_PORT" => InPort, "NORMAL" => Normal, "FLOOD" => Flood, "ALL" => All, "CONTROLLER" => Controller,
        "LOCAL" => Local, "NONE" => None,
        _ => uint.TryParse(s, out var n) && n < Max ? n
           : s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && uint.TryParse(s.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out n) && n < Max ? n
           : null,
    };
}
