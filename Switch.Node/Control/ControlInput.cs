using Switch.Contracts.Control;
using Switch.Core.Conntrack;

namespace Switch.Node.Control;

/// <summary>Request fields parsed by the core, with the core's parse errors turned into the control API's 400.</summary>
public static class ControlInput
{
    public static CtFlushFilter Tuple(string text)
    {
        try { return CtTupleText.Parse(text); }
        catch (CtTupleFormatException e) { throw new ControlException(400, e.Message); }
    }
}
