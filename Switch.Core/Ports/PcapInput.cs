namespace Switch.Core.Ports;

/// <summary>
/// The byte stream under a capture decoder: counts the bytes consumed (streams need not be seekable, and
/// error messages must name an offset) and tells a clean end of file from a structure cut short.
/// </summary>
internal sealed class PcapInput : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    public PcapInput(Stream stream, string name, bool leaveOpen)
    {
        _stream = stream; Name = name; _leaveOpen = leaveOpen;
    }

    public string Name { get; }
    /// <summary>Bytes consumed so far, i.e. the file offset of the next byte.</summary>
    public long Offset { get; private set; }

    /// <summary>Fills <paramref name="dst"/>. Returns false when the file ends before its first byte and
    /// <paramref name="allowEof"/> (a record boundary); throws when it ends part way through.</summary>
    public bool TryReadExactly(Span<byte> dst, bool allowEof, string what)
    {
        long start = Offset;
        int got = 0;
        while (got < dst.Length)
        {
            int n = _stream.Read(dst[got..]);
            if (n == 0) break;
            got += n;
        }
        Offset += got;
        if (got == dst.Length) return true;
        if (got == 0 && allowEof) return false;
        throw Error(start, $"truncated {what}: needs {dst.Length} bytes, the file ends after {got}");
    }

    public void ReadExactly(Span<byte> dst, string what) => TryReadExactly(dst, allowEof: false, what);

    public PcapFormatException Error(long offset, string problem) => new(Name, offset, problem);

    public void Dispose()
    {
        if (!_leaveOpen) _stream.Dispose();
    }
}
