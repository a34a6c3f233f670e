using System.Text;
using Switch.Core.Conntrack;

namespace Switch.Core.Datapath;

/// <summary>
/// One action of a flow's action list, as ovs-actions(7) defines it. Each formats itself in the canonical
/// ovs-ofctl spelling so flow text round-trips. (The small action types share this file on purpose: they
/// are one vocabulary and read best side by side.)
/// </summary>
public abstract record FlowAction
{
    public abstract void Format(StringBuilder sb);
    public override string ToString() { var sb = new StringBuilder(); Format(sb); return sb.ToString(); }
}

/// <summary>output:N and the reserved ports (IN_PORT, NORMAL, FLOOD, ALL, LOCAL).</summary>
public sealed record OutputAction(uint Port) : FlowAction
{
    public override void Format(StringBuilder sb) =>
        sb.Append(Port < OfPorts.Max ? "output:" + Port : OfPorts.Name(Port));
}

/// <summary>output:SRC[a..b]: the port number is read from a field at run time.</summary>
public sealed record OutputRegAction(FieldRef Source) : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("output:").Append(Source);
}

public sealed record ControllerAction(int MaxLen, string? Reason) : FlowAction
{
    public override void Format(StringBuilder sb)
    {
        if (MaxLen == 65535 && Reason is null) { sb.Append("CONTROLLER:65535"); return; }
        sb.Append("controller(");
        if (Reason is not null) sb.Append("reason=").Append(Reason).Append(',');
        sb.Append("max_len=").Append(MaxLen).Append(')');
    }
}

public sealed record ResubmitAction(uint? Port, byte? Table) : FlowAction
{
    public override void Format(StringBuilder sb)
    {
        if (Table is null) { sb.Append("resubmit:").Append(OfPorts.Name(Port!.Value)); return; }
        sb.Append("resubmit(").Append(Port is null ? "" : OfPorts.Name(Port.Value)).Append(',').Append(Table).Append(')');
    }
}

public sealed record GotoTableAction(byte Table) : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("goto_table:").Append(Table);
}

/// <summary>A field with an optional bit range, as NXM syntax writes it (NXM_NX_REG0[0..15]).</summary>
public sealed record FieldRef(FieldDef Field, string Spelling, int Ofs, int NBits)
{
    public bool Whole => Ofs == 0 && NBits == Field.Bits;
    public UInt128 Mask => (NBits == 128 ? UInt128.MaxValue : (UInt128.One << NBits) - 1) << Ofs;
    public override string ToString() => Whole ? Spelling + "[]" : $"{Spelling}[{Ofs}..{Ofs + NBits - 1}]";
}

/// <summary>
/// set_field:V[/M]->F, load:V->F[a..b] and the OpenFlow 1.0 mod_* actions: all write masked bits of one field.
/// <see cref="Spelling"/> keeps how the user wrote it so the flow prints back the same way.
/// </summary>
public sealed record SetFieldAction(FieldDef Field, UInt128 Value, UInt128 Mask, string Spelling, FieldRef? Target = null) : FlowAction
{
    public override void Format(StringBuilder sb)
    {
        switch (Spelling)
        {
            case "load":
                sb.Append("load:0x").Append(((Value & Mask) >> Target!.Ofs).ToString("x")).Append("->").Append(Target);
                break;
            case "set_field":
                sb.Append("set_field:").Append(FieldValues.Format(Field, Value & Mask, Mask)).Append("->").Append(Field.Name);
                break;
            case "mod_vlan_vid":
                sb.Append("mod_vlan_vid:").Append((int)(Value & 0xfff));
                break;
            case "mod_vlan_pcp":
                sb.Append("mod_vlan_pcp:").Append((int)((Value >> 13) & 7));
                break;
            default:
                sb.Append(Spelling).Append(':').Append(FieldValues.Format(Field, Value, Field.AllOnes));
                break;
        }
    }
}

public sealed record MoveAction(FieldRef Src, FieldRef Dst) : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("move:").Append(Src).Append("->").Append(Dst);
}

public sealed record StripVlanAction : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("strip_vlan");
}

public sealed record PushVlanAction(ushort Tpid) : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("push_vlan:0x").Append(Tpid.ToString("x4"));
}

public sealed record DecTtlAction : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("dec_ttl");
}

public sealed record CtClearAction : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("ct_clear");
}

public sealed record NoteAction(byte[] Data) : FlowAction
{
    public override void Format(StringBuilder sb) => sb.Append("note:").Append(string.Join(".", Data.Select(b => b.ToString("x2"))));
}

/// <summary>ct(...) with every argument of ovs-actions(7) that the kernel datapath honours.</summary>
public sealed record CtAction(bool Commit, bool Force, byte? Table, ushort Zone, FieldRef? ZoneSource, CtAlg Alg,
    IReadOnlyList<SetFieldAction> Exec) : FlowAction
{
    public override void Format(StringBuilder sb)
    {
        sb.Append("ct(");
        int start = sb.Length;
        void Sep() { if (sb.Length > start) sb.Append(','); }
        if (Commit) { Sep(); sb.Append("commit"); }
        if (Force) { Sep(); sb.Append("force"); }
        if (Table is not null) { Sep(); sb.Append("table=").Append(Table); }
        if (ZoneSource is not null) { Sep(); sb.Append("zone=").Append(ZoneSource); }
        else if (Zone != 0) { Sep(); sb.Append("zone=").Append(Zone); }
        if (Exec.Count > 0)
        {
            Sep(); sb.Append("exec(");
            for (int i = 0; i < Exec.Count; i++) { if (i > 0) sb.Append(','); Exec[i].Format(sb); }
            sb.Append(')');
        }
        if (Alg != CtAlg.None) { Sep(); sb.Append("alg=").Append(Alg == CtAlg.Ftp ? "ftp" : "tftp"); }
        sb.Append(')');
    }
}
