using System.Buffers.Binary;

namespace Switch.Core.Ports;

/// <summary>
/// Streams the records of a capture file, classic pcap (either byte order, micro- or nanosecond) or pcapng,
/// told apart by the magic in the first four bytes. Timestamps come out in microseconds. A malformed or
/// truncated file raises <see cref="PcapFormatException"/> naming the file and offset.
/// </summary>
public sealed class PcapReader : IDisposable
{
    /// <summary>Read-ahead for file streams; records are small and read in order.</summary>
    private const int FileBufferBytes = 64 * 1024;

    private readonly PcapInput _in;
    private readonly IPcapDecoder _decoder;

    public PcapReader(string path)
        : this(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileBufferBytes, FileOptions.SequentialScan), path)
    {
    }

    /// <param name="name">What errors call the file (its path, usually).</param>
    public PcapReader(Stream stream, string name, bool leaveOpen = false)
    {
        _in = new PcapInput(stream, name, leaveOpen);
        try
        {
            Span<byte> magic = stackalloc byte[4];
            _in.ReadExactly(magic, "file magic");
            uint le = BinaryPrimitives.ReadUInt32LittleEndian(magic);
            uint be = BinaryPrimitives.ReverseEndianness(le);
            if (le == PcapNgDecoder.SectionHeaderType)
            {
                Format = PcapFileFormat.PcapNg;
                _decoder = new PcapNgDecoder(_in);
            }
            else if (le is ClassicPcapDecoder.MagicMicroseconds or ClassicPcapDecoder.MagicNanoseconds
                     || be is ClassicPcapDecoder.MagicMicroseconds or ClassicPcapDecoder.MagicNanoseconds)
            {
                var classic = new ClassicPcapDecoder(_in, le);
                Format = classic.Nanoseconds ? PcapFileFormat.PcapNanoseconds : PcapFileFormat.PcapMicroseconds;
                _decoder = classic;
            }
            else throw _in.Error(0, $"not a pcap or pcapng file (magic 0x{be:x8})");
        }
        catch
        {
            _in.Dispose();
            throw;
        }
    }

    public string Name => _in.Name;
    public PcapFileFormat Format { get; }
    /// <summary>Bytes consumed so far.</summary>
    public long Offset => _in.Offset;

    /// <summary>The next record, or null at the end of the file.</summary>
    public PcapRecord? Read() => _decoder.Read();

    /// <summary>The remaining records, read lazily.</summary>
    public IEnumerable<PcapRecord> ReadAll()
    {
        while (Read() is { } r) yield return r;
    }

    /// <summary>All records of a file, read lazily; the file is closed when enumeration ends.</summary>
    public static IEnumerable<PcapRecord> ReadFile(string path)
    {
        using var reader = new PcapReader(path);
        while (reader.Read() is { } r) yield return r;
    }

    public void Dispose() => _in.Dispose();
}
