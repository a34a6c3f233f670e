using Switch.Core.Datapath;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>
/// Flow text from a control request, parsed before anything is applied so a batch is all-or-nothing. Errors
/// are <see cref="ControlException"/>(400) naming which flow of the request failed and the column, in the
/// flow's own text, where it went wrong ("flow 3: column 14: expected ...").
/// </summary>
public static class FlowRequestText
{
    public static List<Flow> ParseBatch(IReadOnlyList<string> lines)
    {
        if (lines.Count == 0) throw new ControlException(400, "no flows given");
        var flows = new List<Flow>(lines.Count);
        for (int i = 0; i < lines.Count; i++) flows.Add(Parse(lines[i], FlowTextMode.Add, $"flow {i + 1}"));
        return flows;
    }

    /// <summary>Parses one flow (mode Add) or match (mode Select); <paramref name="label"/> starts the error.</summary>
    public static Flow Parse(string? text, FlowTextMode mode, string label)
    {
        var raw = text ?? "";
        var trimmed = raw.Trim();
        if (mode == FlowTextMode.Add && trimmed.Length == 0) throw new ControlException(400, $"{label}: empty flow text");
        var (flow, err) = FlowParser.TryParse(trimmed, mode);
        if (err is null) return flow!;
        // Columns count in the text as sent, so a client can point at them.
        int lead = trimmed.Length == 0 ? 0 : raw.IndexOf(trimmed, StringComparison.Ordinal);
        throw new ControlException(400, $"{label}: column {err.Column + lead}: {err.Message}");
    }

    /// <summary>A copy that shares nothing mutable (counters, timestamps) with the original: via its canonical
    /// text, which the parser guarantees round-trips.</summary>
    public static Flow Copy(Flow f) => FlowParser.Parse(f.ToString());
}
