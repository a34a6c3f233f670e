using System.Globalization;
using Switch.Core.Packets;

namespace Switch.Core.Datapath;

/// <summary>What a piece of flow text is for: add-flow needs actions; del-flows/dump-flows only select.</summary>
public enum FlowTextMode { Add, Select }

/// <summary>
/// Parses ovs-ofctl flow text ("table=0,priority=100,tcp,nw_src=10.0.0.0/24,tp_dst=80 actions=ct(table=1)").
/// Errors name the 1-based column and the token expected there; OpenFlow prerequisites are enforced.
/// </summary>
public static class FlowParser
{
    public static Flow Parse(string text, FlowTextMode mode = FlowTextMode.Add)
    {
        var (flow, err) = TryParse(text, mode);
        if (err is not null) throw new FlowParseException(text, err);
        return flow!;
    }

    public static (Flow? Flow, FlowParseError? Error) TryParse(string text, FlowTextMode mode = FlowTextMode.Add)
    {
        var flow = new Flow();
        int ai = FlowText.FindActions(text);
        string matchPart = ai < 0 ? text : text[..ai];
        if (mode == FlowTextMode.Add && ai < 0)
            return (null, new FlowParseError(text.Length + 1, "expected \"actions=\" (a flow to add needs an action list; use actions=drop to drop)"));
        if (mode == FlowTextMode.Select && ai >= 0)
            return (null, new FlowParseError(ai + 1, "expected only match fields here, not \"actions=\""));
        var usedAt = new List<(FieldDef Field, int Column, string Name)>();
        foreach (var tok in FlowText.Split(matchPart, 0, blanksSeparate: true))
        {
            var err = ParseMatchToken(tok, flow, usedAt, mode);
            if (err is not null) return (null, err);
        }
        foreach (var (f, col, name) in usedAt)
        {
            if (flow.Match.Satisfies(f.Prereq)) continue;
            // ovs-ofctl accepts nw_src/nw_dst/nw_proto for ARP too (as arp_spa/arp_tpa/arp_op).
            if ((f == Fields.NwSrc || f == Fields.NwDst || f == Fields.NwProto) && flow.Match.Satisfies(Prereq.Arp)) continue;
            return (null, new FlowParseError(col, $"{name} requires {Match.Describe(f.Prereq)} in the match (OpenFlow prerequisite)"));
        }
        if (ai >= 0)
        {
            int start = ai + 8;
            var (actions, err) = ActionParser.Parse(text[start..], start, flow);
            if (err is not null) return (null, err);
            flow.Actions = actions!;
        }
        return (flow, null);
    }

    private static FlowParseError? ParseMatchToken(FlowText.Token tok, Flow flow, List<(FieldDef, int, string)> usedAt, FlowTextMode mode)
    {
        string t = tok.Text;
        int eq = t.IndexOf('=');
        string name = eq < 0 ? t : t[..eq];
        string? val = eq < 0 ? null : t[(eq + 1)..];
        int valCol = tok.Column + name.Length + 1;
        var m = flow.Match;
        if (val is null)
        {
            if (!Shorthands.TryGet(name, out var dl, out var proto))
                return new FlowParseError(tok.Column, $"expected a match field name=value or a protocol (ip, ipv6, tcp, udp, icmp, arp, tcp6, udp6, icmp6, sctp), got '{t}'");
            if (m.Has(Fields.DlType) && m.Value.DlType != dl)
                return new FlowParseError(tok.Column, $"'{name}' conflicts with the dl_type already given");
            Fields.DlType.SetMasked(ref m.Value, ref m.Mask, dl, Fields.DlType.AllOnes);
            if (proto is not null) Fields.NwProto.SetMasked(ref m.Value, ref m.Mask, proto.Value, 0xff);
            return null;
        }
        if (val.Length == 0) return new FlowParseError(valCol, $"expected a value after '{name}='");
        switch (name)
        {
            case "table":
                if (!byte.TryParse(val, NumberStyles.None, null, out var table) || table > 254)
                    return new FlowParseError(valCol, $"expected a table number 0-254, got '{val}'");
                flow.Table = table; flow.TableGiven = true;
                return null;
            case "priority":
                if (!int.TryParse(val, NumberStyles.None, null, out var prio) || prio > 65535)
                    return new FlowParseError(valCol, $"expected a priority 0-65535, got '{val}'");
                flow.Priority = prio;
                return null;
            case "cookie":
            {
                var parts = val.Split('/');
                if (!FieldValues.TryNumber(parts[0], out var c) || c > ulong.MaxValue || parts.Length > 2)
                    return new FlowParseError(valCol, $"expected a 64-bit cookie (0x...), got '{val}'");
                UInt128 cm = ulong.MaxValue;
                if (parts.Length == 2)
                {
                    if (mode != FlowTextMode.Select)
                        return new FlowParseError(valCol, "a cookie mask is only allowed when selecting flows (del-flows, mod-flows, dump-flows)");
                    if (!FieldValues.TryNumber(parts[1], out cm) || cm > ulong.MaxValue)
                        return new FlowParseError(valCol + parts[0].Length + 1, $"expected a 64-bit cookie mask, got '{parts[1]}'");
                }
                flow.Cookie = (ulong)c; flow.CookieMask = (ulong)cm;
                return null;
            }
            case "idle_timeout":
            case "hard_timeout":
                if (!ushort.TryParse(val, NumberStyles.None, null, out var to))
                    return new FlowParseError(valCol, $"expected {name} in seconds 0-65535, got '{val}'");
                if (name == "idle_timeout") flow.IdleTimeout = to; else flow.HardTimeout = to;
                return null;
            case "duration": case "n_packets": case "n_bytes": case "idle_age": case "hard_age":
                return null; // dump-flows statistics: accepted so dumped text can be fed back
            case "dl_vlan":
            {
                if (!FieldValues.TryNumber(val, out var vid) || (vid > 4095 && vid != 0xffff))
                    return new FlowParseError(valCol, $"expected a VLAN id 0-4095 (or 0xffff for no VLAN), got '{val}'");
                ushort v = vid == 0xffff ? (ushort)0 : (ushort)(vid | 0x1000);
                ushort mk = vid == 0xffff ? (ushort)0xffff : (ushort)0x1fff;
                m.Value.VlanTci = (ushort)((m.Value.VlanTci & ~mk) | v);
                m.Mask.VlanTci |= mk;
                return null;
            }
            case "dl_vlan_pcp":
            {
                if (!byte.TryParse(val, NumberStyles.None, null, out var pcp) || pcp > 7)
                    return new FlowParseError(valCol, $"expected a VLAN priority 0-7, got '{val}'");
                m.Value.VlanTci = (ushort)((m.Value.VlanTci & 0x0fff) | (pcp << 13) | 0x1000);
                m.Mask.VlanTci |= 0xf000;
                return null;
            }
        }
        var f = Fields.Find(name);
        if (f is null)
            return new FlowParseError(tok.Column, $"expected a match field name, got unknown field '{name}'");
        if (usedAt.Exists(u => Fields.SameSlot(u.Item1, f)))
            return new FlowParseError(tok.Column, $"field '{name}' given more than once");
        if (!FieldValues.TryParse(f, val, out var value, out var mask, out var expected))
            return new FlowParseError(valCol, $"expected {expected} for {name}, got '{val}'");
        if ((value & ~mask) != 0 && f.Format is FieldFormat.Decimal or FieldFormat.Hex)
            value &= mask; // ovs-ofctl: bits outside the mask are ignored
        f.SetMasked(ref m.Value, ref m.Mask, value, mask);
        usedAt.Add((f, tok.Column, name));
        return null;
    }
}
