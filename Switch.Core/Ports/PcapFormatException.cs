namespace Switch.Core.Ports;

/// <summary>
/// A capture file is malformed or cut short. Users see the message on the CLI, so it names the file, the
/// byte offset where the bad structure starts and what was wrong with it.
/// </summary>
public sealed class PcapFormatException : Exception
{
    public string File { get; }
    public long Offset { get; }
    public string Problem { get; }

    public PcapFormatException(string file, long offset, string problem)
        : base($"{file}: at byte {offset}: {problem}")
    {
        File = file; Offset = offset; Problem = problem;
    }
}
