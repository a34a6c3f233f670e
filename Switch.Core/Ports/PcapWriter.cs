using System.Buffers.Binary;

namespace Switch.Core.Ports;

/// <summary>
/// Writes classic pcap (little-endian, microsecond, LINKTYPE_ETHERNET), the format every tool reads. The
/// file header is written and flushed at once so the file is valid even if no packet is ever written or
/// the process dies before <see cref="Dispose"/> (which flushes the rest).
/// </summary>
public sealed class PcapWriter : IDisposable
{
    /// <summary>libpcap's MAXIMUM_SNAPLEN; longer frames are cut, keeping their original length.</summary>
    public const int SnapLen = 262144;
    private const int FileBufferBytes = 64 * 1024;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly byte[] _header = new byte[16];
    private bool _disposed;

    public PcapWriter(string path)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, FileBufferBytes), leaveOpen: false)
    {
    }

    public PcapWriter(Stream stream, bool leaveOpen = false)
    {
        _stream = stream; _leaveOpen = leaveOpen;
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, ClassicPcapDecoder.MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        h[8..16].Clear(); // thiszone, sigfigs: always 0 in practice
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], SnapLen);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], LinkTypes.Ethernet);
        _stream.Write(h);
        _stream.Flush();
    }

    public long PacketsWritten { get; private set; }

    /// <summary>Appends one frame. Timestamps before 1970 or after 2106 cannot be stored in the 32-bit
    /// seconds field; they are clamped rather than failing the port mid-run.</summary>
    public void Write(long timestampUs, ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long sec = Math.DivRem(Math.Max(timestampUs, 0), 1_000_000L, out long frac);
        if (sec > uint.MaxValue) (sec, frac) = (uint.MaxValue, 999_999);
        int captured = Math.Min(frame.Length, SnapLen);
        BinaryPrimitives.WriteUInt32LittleEndian(_header, (uint)sec);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(4), (uint)frac);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(8), (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(12), (uint)frame.Length);
        _stream.Write(_header);
        _stream.Write(frame[..captured]);
        PacketsWritten++;
    }

    public void Flush() => _stream.Flush();

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stream.Flush();
        if (!_leaveOpen) _stream.Dispose();
    }
}
