using System.Text.Json;
using Switch.Core.Datapath;
using Switch.Contracts;

namespace Switch.Node.Commands;

/// <summary>One JSON line per input frame: frame, in_port, tables/flows matched, final ct fields, outputs, drop.</summary>
public static class TraceJson
{
    public static string Line(long frame, uint inPort, PacketTrace t)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("frame", frame);
            w.WriteNumber("in_port", inPort);
            w.WriteStartArray("tables");
            foreach (var s in t.Tables)
            {
                w.WriteStartObject();
                w.WriteNumber("table", s.Table);
                if (s.Recirculated) w.WriteBoolean("recirculated", true);
                if (s.Flow is null) w.WriteNull("flow");
                else
                {
                    w.WriteNumber("priority", s.Flow.Priority);
                    w.WriteString("cookie", "0x" + s.Flow.Cookie.ToString("x"));
                    w.WriteString("flow", s.Flow.FormatMatch());
                    w.WriteString("actions", s.Flow.FormatActions());
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (t.Ct.Count > 0)
            {
                var c = t.Ct[^1];
                w.WriteStartObject("ct");
                w.WriteString("ct_state", "0x" + c.State.ToString("x2"));
                w.WriteString("ct_state_flags", CtStateBits.Format(c.State));
                w.WriteNumber("ct_zone", c.Zone);
                w.WriteString("ct_mark", "0x" + c.Mark.ToString("x"));
                w.WriteString("ct_label", "0x" + c.Label.ToString("x"));
                if (c.Verdict is not null and not "Continue") w.WriteString("verdict", c.Verdict);
                w.WriteEndObject();
            }
            w.WriteStartArray("outputs");
            foreach (var o in t.Outputs) w.WriteNumberValue(o);
            w.WriteEndArray();
            if (t.DropReason is not null) w.WriteString("drop", t.DropReason);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
