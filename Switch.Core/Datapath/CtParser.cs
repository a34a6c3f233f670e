using System.Globalization;
using Switch.Core.Conntrack;

namespace Switch.Core.Datapath;

/// <summary>Parses the arguments of ct(...) as ovs-actions(7) spells them.</summary>
internal static class CtParser
{
    public static (FlowAction?, FlowParseError?) Parse(string arg, int argCol, Flow flow)
    {
        if (!flow.Match.Satisfies(Prereq.IpAny))
            return (null, new FlowParseError(argCol - 3, "ct requires ip or ipv6 in the match (conntrack tracks IP only)"));
        bool commit = false, force = false; byte? table = null; ushort zone = 0; FieldRef? zoneSrc = null; var alg = CtAlg.None;
        var exec = new List<SetFieldAction>();
        foreach (var tok in FlowText.Split(arg, argCol - 1, blanksSeparate: false))
        {
            string t = tok.Text;
            int eq = t.IndexOf('=');
            string key = eq < 0 ? (t.Contains('(') ? t[..t.IndexOf('(')] : t) : t[..eq];
            string val = eq < 0 ? "" : t[(eq + 1)..];
            int valCol = tok.Column + key.Length + 1;
            switch (key)
            {
                case "commit": commit = true; break;
                case "force": force = true; break;
                case "table":
                    if (!byte.TryParse(val, NumberStyles.None, null, out var tb) || tb > 254)
                        return Fail(valCol, $"expected ct(table=0-254), got '{val}'");
                    table = tb; break;
                case "zone":
                    if (ushort.TryParse(val, NumberStyles.None, null, out var z)) { zone = z; break; }
                    var (fr, e) = ActionParser.ParseFieldRef(val, valCol);
                    if (e is not null || fr!.NBits != 16)
                        return Fail(valCol, $"expected a zone 0-65535 or a 16-bit field like NXM_NX_REG0[0..15], got '{val}'");
                    zoneSrc = fr; break;
                case "alg":
                    alg = val switch { "ftp" => CtAlg.Ftp, "tftp" => CtAlg.Tftp, _ => (CtAlg)255 };
                    if ((byte)alg == 255) return Fail(valCol, $"expected alg=ftp or alg=tftp, got '{val}'");
                    break;
                case "exec":
                    if (!t.EndsWith(')')) return Fail(tok.Column + t.Length, "expected ')' to close exec(");
                    string inner = t[5..^1];
                    foreach (var et in FlowText.Split(inner, tok.Column + 4, blanksSeparate: false))
                    {
                        FlowAction? a; FlowParseError? err;
                        if (et.Text.StartsWith("set_field:", StringComparison.Ordinal))
                            (a, err) = ActionParser.ParseSetField(et.Text[10..], et.Column + 10, flow.Match, inExec: true);
                        else if (et.Text.StartsWith("load:", StringComparison.Ordinal))
                            (a, err) = ParseExecLoad(et, flow);
                        else
                            return Fail(et.Column, $"expected set_field:V->ct_mark or set_field:V->ct_label inside exec, got '{et.Text}'");
                        if (err is not null) return (null, err);
                        exec.Add((SetFieldAction)a!);
                    }
                    break;
                case "nat":
                    return Fail(tok.Column, "nat is not supported yet (DistSwitch tracks; it does not translate addresses)");
                default:
                    return Fail(tok.Column, $"expected a ct argument (commit, force, table=, zone=, alg=, exec()), got '{t}'");
            }
        }
        if (exec.Count > 0 && !commit) return Fail(argCol, "ct exec(...) requires commit (the kernel only stores mark/label on a committed connection)");
        if (force && !commit) return Fail(argCol, "ct force requires commit");
        if (alg != CtAlg.None && !commit) return Fail(argCol, "ct alg= requires commit");
        return (new CtAction(commit, force, table, zone, zoneSrc, alg, exec), null);
    }

    private static (FlowAction?, FlowParseError?) ParseExecLoad(FlowText.Token tok, Flow flow)
    {
        string arg = tok.Text[5..];
        int arrow = arg.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0 || !FieldValues.TryNumber(arg[..arrow], out var v))
            return Fail(tok.Column + 5, "expected load:VALUE->NXM_NX_CT_MARK[] inside exec");
        var (fr, e) = ActionParser.ParseFieldRef(arg[(arrow + 2)..], tok.Column + 5 + arrow + 2);
        if (e is not null) return (null, e);
        if (fr!.Field != Fields.CtMark && fr.Field != Fields.CtLabel)
            return Fail(tok.Column + 5 + arrow + 2, $"ct exec may only set ct_mark or ct_label, not {fr.Field.Name}");
        return (new SetFieldAction(fr.Field, v << fr.Ofs, fr.Mask, "load", fr), null);
    }

    private static (FlowAction?, FlowParseError?) Fail(int col, string msg) => (null, new FlowParseError(col, msg));
}
