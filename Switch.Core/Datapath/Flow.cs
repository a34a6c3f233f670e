using System.Globalization;
using System.Text;

namespace Switch.Core.Datapath;

/// <summary>One OpenFlow flow entry: where it sits (table, priority), what it matches, what it does, its counters.</summary>
public sealed class Flow
{
    public const int DefaultPriority = 32768;

    public byte Table { get; set; }
    public int Priority { get; set; } = DefaultPriority;
    public ulong Cookie { get; set; }
    /// <summary>Only in commands that select flows (del-flows cookie=V/M): which cookie bits must match.</summary>
    public ulong CookieMask { get; set; }
    public ushort IdleTimeout { get; set; }
    public ushort HardTimeout { get; set; }
    public Match Match { get; set; } = new();
    public IReadOnlyList<FlowAction> Actions { get; set; } = Array.Empty<FlowAction>();
    /// <summary>Whether the text named table= (a command without it applies to every table).</summary>
    public bool TableGiven { get; set; }
    /// <summary>The names used in the match, in canonical order (so ARP flows print arp_spa, not nw_src).</summary>
    internal List<FieldDef> Used { get; } = new();

    public long NPackets;
    public long NBytes;
    public long CreatedUs;
    public long LastUsedUs;

    /// <summary>The match part as ovs-ofctl prints it: priority, then fields in canonical order, protocol shorthand folded.</summary>
    public string FormatMatch(bool withPriority = true)
    {
        var parts = new List<string>();
        if (withPriority && Priority != DefaultPriority) parts.Add("priority=" + Priority);
        var m = Match;
        string? shorthand = Shorthands.Name(m);
        bool dlTypeDone = false, protoDone = false;
        if (shorthand is not null)
        {
            dlTypeDone = true;
            protoDone = Shorthands.IncludesProto(shorthand);
        }
        var printed = new List<FieldDef>();
        bool shortPrinted = false;
        foreach (var f in Fields.All)
        {
            if (!m.Has(f) || printed.Any(p => Fields.SameSlot(p, f))) continue;
            if (f == Fields.DlType && dlTypeDone) continue;
            if ((f == Fields.NwProto || f == Fields.ArpOp) && protoDone) continue;
            var name = PickName(f, m);
            if (!shortPrinted && shorthand is not null && f.Order >= Fields.InPort.Order) { parts.Add(shorthand); shortPrinted = true; }
            printed.Add(f);
            if (name == Fields.VlanTci) { parts.Add(VlanText(m)); continue; }
            parts.Add(name.Name + "=" + FieldValues.Format(name, name.Get(m.Value), name.Get(m.Mask)));
        }
        if (!shortPrinted && shorthand is not null) parts.Add(shorthand);
        return string.Join(",", parts);
    }

    private static FieldDef PickName(FieldDef f, Match m)
    {
        foreach (var c in Fields.All)
            if (Fields.SameSlot(c, f) && m.Satisfies(c.Prereq)) return c;
        return f;
    }

    /// <summary>dl_vlan/dl_vlan_pcp when the TCI match is one of those, vlan_tci=V/M otherwise.</summary>
    private static string VlanText(Match m)
    {
        ushort v = m.Value.VlanTci, mask = m.Mask.VlanTci;
        if (mask == 0xffff && v == 0) return "dl_vlan=0xffff";
        if (mask == 0x1fff && (v & 0x1000) != 0) return "dl_vlan=" + (v & 0xfff);
        if (mask == 0xf000 && (v & 0x1000) != 0) return "dl_vlan_pcp=" + (v >> 13);
        if (mask == 0xffff && (v & 0x1000) != 0) return $"dl_vlan={v & 0xfff},dl_vlan_pcp={v >> 13}";
        return mask == 0xffff ? $"vlan_tci=0x{v:x4}" : $"vlan_tci=0x{v:x4}/0x{mask:x4}";
    }

    public string FormatActions()
    {
        if (Actions.Count == 0) return "drop";
        var sb = new StringBuilder();
        for (int i = 0; i < Actions.Count; i++) { if (i > 0) sb.Append(','); Actions[i].Format(sb); }
        return sb.ToString();
    }

    /// <summary>Canonical add-flow text: parse(ToString()) gives the same flow.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Cookie != 0) sb.Append("cookie=0x").Append(Cookie.ToString("x")).Append(", ");
        sb.Append("table=").Append(Table).Append(", ");
        if (IdleTimeout != 0) sb.Append("idle_timeout=").Append(IdleTimeout).Append(", ");
        if (HardTimeout != 0) sb.Append("hard_timeout=").Append(HardTimeout).Append(", ");
        var match = FormatMatch();
        sb.Append(match.Length == 0 ? "priority=" + Priority : match);
        sb.Append(" actions=").Append(FormatActions());
        return sb.ToString();
    }

    /// <summary>One line of `ovs-ofctl dump-flows`.</summary>
    public string FormatDump(long nowUs)
    {
        var sb = new StringBuilder(" cookie=0x").Append(Cookie.ToString("x"));
        double dur = Math.Max(0, nowUs - CreatedUs) / 1e6;
        sb.Append(", duration=").Append(dur.ToString("0.000", CultureInfo.InvariantCulture)).Append('s');
        sb.Append(", table=").Append(Table).Append(", n_packets=").Append(NPackets).Append(", n_bytes=").Append(NBytes);
        if (IdleTimeout != 0) sb.Append(", idle_timeout=").Append(IdleTimeout);
        if (HardTimeout != 0) sb.Append(", hard_timeout=").Append(HardTimeout);
        if (IdleTimeout != 0)
            sb.Append(", idle_age=").Append(Math.Max(0, nowUs - LastUsedUs) / 1_000_000);
        var match = FormatMatch();
        sb.Append(", ").Append(match.Length == 0 ? "priority=" + Priority : match);
        sb.Append(" actions=").Append(FormatActions());
        return sb.ToString();
    }
}
