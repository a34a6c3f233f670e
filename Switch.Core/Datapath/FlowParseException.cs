namespace Switch.Core.Datapath;

/// <summary>A flow text error: the 1-based column where it was found and what was expected there.</summary>
public sealed class FlowParseError
{
    public int Column { get; }
    public string Message { get; }
    public FlowParseError(int column, string message) { Column = column; Message = message; }
    public override string ToString() => $"column {Column}: {Message}";
}

/// <summary>Thrown by the throwing convenience parsers only (tests, samples); commands use the result form.</summary>
public sealed class FlowParseException : Exception
{
    public FlowParseError Error { get; }
    public FlowParseException(string text, FlowParseError error) : base($"bad flow \"{text}\": {error}") => Error = error;
}
