namespace Switch.Node.Control;

/// <summary>A control request that failed: the server's own message, or why the server could not be reached.
/// <see cref="Status"/> is the HTTP status (0 when no answer came).</summary>
public sealed class ControlClientException : Exception
{
    public int Status { get; }
    public ControlClientException(int status, string message, Exception? inner = null) : base(message, inner) => Status = status;
}
