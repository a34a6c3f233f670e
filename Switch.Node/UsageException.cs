namespace Switch.Node;

/// <summary>A user error on the command line or in an input file: printed as one line, exit code 1.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}
