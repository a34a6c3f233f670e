using System.Text.Json;

namespace Switch.Node.Control;

/// <summary>The one JSON shape both ends of the control API agree on: camelCase, and a request that leaves out
/// a required field or sends null where the contract says non-null is rejected rather than half-read.</summary>
public static class ControlJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        // Answers are read by the CLI and by people with curl, never embedded in HTML: keep "'" and "<" readable.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
