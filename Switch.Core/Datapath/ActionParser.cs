using System.Globalization;
using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Core.Datapath;

/// <summary>Parses an ovs-actions(7) action list; errors carry the column of the offending action.</summary>
internal static class ActionParser
{
    public static (List<FlowAction>? Actions, FlowParseError? Error) Parse(string text, int baseIndex, Flow flow)
    {
        var list = new List<FlowAction>();
        var toks = FlowText.Split(text, baseIndex, blanksSeparate: false);
        if (toks.Count == 0) return (null, new FlowParseError(baseIndex + 1, "expected at least one action (or drop)"));
        for (int i = 0; i < toks.Count; i++)
        {
            var tok = toks[i];
            if (tok.Text == "drop")
            {
                if (toks.Count > 1) return (null, new FlowParseError(tok.Column, "drop must be the only action"));
                return (list, null);
            }
            var (a, err) = ParseOne(tok, flow, inExec: false);
            if (err is not null) return (null, err);
            if (a is GotoTableAction g)
            {
                if (i != toks.Count - 1) return (null, new FlowParseError(tok.Column, "goto_table must be the last action"));
                if (g.Table <= flow.Table) return (null, new FlowParseError(tok.Column, $"goto_table:{g.Table} must go to a later table than {flow.Table}"));
            }
            list.Add(a!);
        }
        return (list, null);
    }

    private static (FlowAction?, FlowParseError?) Fail(int col, string msg) => (null, new FlowParseError(col, msg));

    private static (FlowAction?, FlowParseError?) ParseOne(FlowText.Token tok, Flow flow, bool inExec)
    {
        string t = tok.Text;
        int col = tok.Column;
        int sep = t.IndexOfAny(new[] { ':', '(' });
        string name = (sep < 0 ? t : t[..sep]).ToLowerInvariant();
        string arg = sep < 0 ? "" : t[sep] == '(' ? (t.EndsWith(')') ? t[(sep + 1)..^1] : "\u0000") : t[(sep + 1)..];
        int argCol = col + (sep < 0 ? t.Length : sep + 1);
        if (arg == "\u0000") return Fail(col + t.Length, $"expected ')' to close {name}(");
        var m = flow.Match;

        if (sep < 0 && OfPorts.Parse(t) is uint reserved) // bare port numbers and reserved names
            return (reserved == OfPorts.Controller ? new ControllerAction(65535, null) : new OutputAction(reserved), null);
        switch (name)
        {
            case "output":
            {
                if (sep >= 0 && t[sep] == ':' && OfPorts.Parse(arg) is uint p) return (new OutputAction(p), null);
                var (fr, e) = ParseFieldRef(arg, argCol);
                return e is not null ? (null, new FlowParseError(argCol, $"expected a port number or a field like NXM_NX_REG0[0..15], got '{arg}'")) : (new OutputRegAction(fr!), null);
            }
            case "controller":
            {
                int maxLen = 65535; string? reason = null;
                if (sep >= 0 && t[sep] == ':')
                {
                    if (!int.TryParse(arg, NumberStyles.None, null, out maxLen)) return Fail(argCol, $"expected controller:max_len, got '{arg}'");
                }
                else if (sep >= 0)
                {
                    foreach (var kv in arg.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var p = kv.Split('=', 2);
                        if (p[0] == "max_len" && p.Length == 2 && int.TryParse(p[1], out maxLen)) continue;
                        if (p[0] == "reason" && p.Length == 2) { reason = p[1]; continue; }
                        return Fail(argCol, $"expected controller(max_len=N,reason=R), got '{kv}'");
                    }
                }
                return (new ControllerAction(maxLen, reason), null);
            }
            case "resubmit":
            {
                if (sep >= 0 && t[sep] == ':')
                    return OfPorts.Parse(arg) is uint rp ? (new ResubmitAction(rp, null), null) : Fail(argCol, $"expected resubmit:PORT, got '{arg}'");
                var parts = arg.Split(',');
                if (parts.Length != 2) return Fail(argCol, "expected resubmit(PORT,TABLE) or resubmit(,TABLE)");
                uint? port = null; byte? table = null;
                if (parts[0].Length > 0) { port = OfPorts.Parse(parts[0]); if (port is null) return Fail(argCol, $"expected a port in resubmit, got '{parts[0]}'"); }
                if (parts[1].Length > 0)
                {
                    if (!byte.TryParse(parts[1], NumberStyles.None, null, out var tb) || tb > 254) return Fail(argCol + parts[0].Length + 1, $"expected a table 0-254 in resubmit, got '{parts[1]}'");
                    table = tb;
                }
                if (port is null && table is null) return Fail(argCol, "resubmit needs a port or a table");
                return (new ResubmitAction(port, table ?? flow.Table), null);
            }
            case "goto_table":
                return byte.TryParse(arg, NumberStyles.None, null, out var gt) && gt <= 254
                    ? (new GotoTableAction(gt), null) : Fail(argCol, $"expected goto_table:TABLE (0-254), got '{arg}'");
            case "set_field":
                return ParseSetField(arg, argCol, m, inExec);
            case "load":
            {
                int arrow = arg.IndexOf("->", StringComparison.Ordinal);
                if (arrow < 0) return Fail(argCol, "expected load:VALUE->FIELD[a..b]");
                if (!FieldValues.TryNumber(arg[..arrow], out var v)) return Fail(argCol, $"expected a number to load, got '{arg[..arrow]}'");
                var (fr, e) = ParseFieldRef(arg[(arrow + 2)..], argCol + arrow + 2);
                if (e is not null) return (null, e);
                if (fr!.NBits < 128 && v >> fr.NBits != 0) return Fail(argCol, $"value {arg[..arrow]} does not fit in {fr.NBits} bits");
                var pe = CheckWritable(fr.Field, argCol + arrow + 2, m, inExec);
                if (pe is not null) return (null, pe);
                return (new SetFieldAction(fr.Field, v << fr.Ofs, fr.Mask, "load", fr), null);
            }
            case "move":
            {
                int arrow = arg.IndexOf("->", StringComparison.Ordinal);
                if (arrow < 0) return Fail(argCol, "expected move:SRC[a..b]->DST[c..d]");
                var (src, e1) = ParseFieldRef(arg[..arrow], argCol);
                if (e1 is not null) return (null, e1);
                var (dst, e2) = ParseFieldRef(arg[(arrow + 2)..], argCol + arrow + 2);
                if (e2 is not null) return (null, e2);
                if (src!.NBits != dst!.NBits) return Fail(argCol, $"move needs equal widths, got {src.NBits} and {dst.NBits} bits");
                var pe = CheckWritable(dst.Field, argCol + arrow + 2, m, inExec);
                if (pe is not null) return (null, pe);
                return (new MoveAction(src, dst), null);
            }
            case "mod_dl_src": return Mod(Fields.DlSrc, name, arg, argCol, m);
            case "mod_dl_dst": return Mod(Fields.DlDst, name, arg, argCol, m);
            case "mod_nw_src": return Mod(Fields.NwSrc, name, arg, argCol, m);
            case "mod_nw_dst": return Mod(Fields.NwDst, name, arg, argCol, m);
            case "mod_tp_src": return Mod(Fields.TpSrc, name, arg, argCol, m);
            case "mod_tp_dst": return Mod(Fields.TpDst, name, arg, argCol, m);
            case "mod_nw_tos":
                if (!byte.TryParse(arg, NumberStyles.None, null, out var tos) || (tos & 3) != 0)
                    return Fail(argCol, $"expected a TOS value 0-252 that is a multiple of 4 (DSCP bits), got '{arg}'");
                if (!m.Satisfies(Prereq.IpAny)) return Fail(col, "mod_nw_tos requires ip or ipv6 in the match");
                return (new SetFieldAction(Fields.NwTos, tos, 0xfc, name), null);
            case "mod_vlan_vid":
                if (!ushort.TryParse(arg, NumberStyles.None, null, out var vid) || vid > 4095) return Fail(argCol, $"expected a VLAN id 0-4095, got '{arg}'");
                return (new SetFieldAction(Fields.VlanTci, (UInt128)(vid | 0x1000), 0x1fff, name), null);
            case "mod_vlan_pcp":
                if (!byte.TryParse(arg, NumberStyles.None, null, out var pcp) || pcp > 7) return Fail(argCol, $"expected a VLAN priority 0-7, got '{arg}'");
                return (new SetFieldAction(Fields.VlanTci, (UInt128)((pcp << 13) | 0x1000), 0xf000, name), null);
            case "strip_vlan": case "pop_vlan":
                return sep < 0 ? (new StripVlanAction(), null) : Fail(argCol, $"{name} takes no argument");
            case "push_vlan":
                if (!FieldValues.TryNumber(arg, out var tpid) || (tpid != EtherTypes.Vlan && tpid != EtherTypes.QinQ))
                    return Fail(argCol, $"expected push_vlan:0x8100 or push_vlan:0x88a8, got '{arg}'");
                return (new PushVlanAction((ushort)tpid), null);
            case "dec_ttl":
                if (!m.Satisfies(Prereq.IpAny)) return Fail(col, "dec_ttl requires ip or ipv6 in the match");
                return (new DecTtlAction(), null);
            case "ct_clear":
                return (new CtClearAction(), null);
            case "note":
            {
                var hex = arg.Replace(".", "").Replace(" ", "");
                if (hex.Length % 2 != 0 || !hex.All(Uri.IsHexDigit)) return Fail(argCol, $"expected hex bytes like note:00.01.02, got '{arg}'");
                return (new NoteAction(Convert.FromHexString(hex)), null);
            }
            case "ct":
                if (inExec) return Fail(col, "ct cannot be nested in exec");
                return CtParser.Parse(arg, argCol, flow);
        }
        return Fail(col, $"expected an action (output, resubmit, goto_table, set_field, load, move, mod_*, strip_vlan, push_vlan, dec_ttl, ct, ct_clear, note, controller, drop, NORMAL, FLOOD, ALL, LOCAL, IN_PORT), got '{t}'");
    }

    private static (FlowAction?, FlowParseError?) Mod(FieldDef f, string name, string arg, int argCol, Match m)
    {
        if (!FieldValues.TryParse(f, arg, out var v, out var mask, out var expected) || mask != f.AllOnes)
            return Fail(argCol, $"expected {expected} for {name}, got '{arg}'");
        if (!m.Satisfies(f.Prereq)) return Fail(argCol - name.Length - 1, $"{name} requires {Match.Describe(f.Prereq)} in the match");
        return (new SetFieldAction(f, v, f.AllOnes, name), null);
    }

    internal static (FlowAction?, FlowParseError?) ParseSetField(string arg, int argCol, Match m, bool inExec)
    {
        int arrow = arg.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0) return Fail(argCol, "expected set_field:VALUE[/MASK]->FIELD");
        var fname = arg[(arrow + 2)..];
        var f = Fields.Find(fname);
        if (f is null) return Fail(argCol + arrow + 2, $"expected a field name after '->', got '{fname}'");
        if (!FieldValues.TryParse(f, arg[..arrow], out var v, out var mask, out var expected))
            return Fail(argCol, $"expected {expected} for {f.Name}, got '{arg[..arrow]}'");
        var pe = CheckWritable(f, argCol + arrow + 2, m, inExec);
        if (pe is not null) return (null, pe);
        return (new SetFieldAction(f, v & mask, mask, "set_field"), null);
    }

    private static FlowParseError? CheckWritable(FieldDef f, int col, Match m, bool inExec)
    {
        bool ctField = f == Fields.CtMark || f == Fields.CtLabel;
        if (inExec && !ctField) return new FlowParseError(col, $"ct exec may only set ct_mark or ct_label, not {f.Name}");
        if (!inExec && ctField) return new FlowParseError(col, $"{f.Name} can only be set inside ct(commit,exec(...))");
        if (!f.Writable) return new FlowParseError(col, $"field {f.Name} is read-only");
        if (!m.Satisfies(f.Prereq)) return new FlowParseError(col, $"setting {f.Name} requires {Match.Describe(f.Prereq)} in the match");
        return null;
    }

    /// <summary>NAME[], NAME[a..b], NAME[a] or NAME (whole field).</summary>
    internal static (FieldRef?, FlowParseError?) ParseFieldRef(string s, int col)
    {
        int br = s.IndexOf('[');
        string name = br < 0 ? s : s[..br];
        var f = Fields.Find(name);
        if (f is null) return (null, new FlowParseError(col, $"expected a field name (e.g. NXM_NX_REG0), got '{name}'"));
        if (br < 0 || s[br..] == "[]") return (new FieldRef(f, name, 0, f.Bits), null);
        if (!s.EndsWith(']')) return (null, new FlowParseError(col + s.Length, "expected ']'"));
        var inner = s[(br + 1)..^1];
        var parts = inner.Split("..");
        // Bit numbers are plain decimal digits: "-1", "+3" or " 2" are not bits (int.TryParse would take them).
        static bool Bit(string t, out int v) { v = 0; return t.Length is > 0 and <= 3 && t.All(char.IsAsciiDigit) && int.TryParse(t, out v); }
        if (!Bit(parts[0], out int a) || (parts.Length == 2 ? !Bit(parts[1], out int b) : (b = a) != a) || parts.Length > 2
            || a > b || b >= f.Bits)
            return (null, new FlowParseError(col + br + 1, $"expected a bit range [start..end] within 0..{f.Bits - 1}, got '[{inner}]'"));
        return (new FieldRef(f, name, a, b - a + 1), null);
    }
}
