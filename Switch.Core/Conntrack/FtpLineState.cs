namespace Switch.Core.Conntrack;

/// <summary>
/// Per-direction line reassembly of an FTP control connection. The kernel helper parses only segments that
/// start a line and drops a packet whose command is cut at the segment end; we instead buffer a partial line
/// (bounded) until its LF, so a PORT split across segments still yields an expectation.
/// </summary>
public sealed class FtpLineState
{
    public readonly Direction[] Dirs = { new(), new() };

    public sealed class Direction
    {
        public byte[]? Pending;
        public int PendingLen;
        /// <summary>Sequence number after the last byte taken in.</summary>
        public uint NextSeq;
        public bool SeqValid;
        /// <summary>Discarding until the next LF (line too long, or a gap in the stream).</summary>
        public bool Skipping;
    }
}
