using System.Buffers.Binary;

namespace Switch.Core.Ports;

/// <summary>
/// Classic libpcap files (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte file header
/// then 16-byte record headers, in the byte order of the machine that wrote them, which the magic reveals.
/// </summary>
internal sealed class ClassicPcapDecoder : IPcapDecoder
{
    public const uint MagicMicroseconds = 0xa1b2c3d4, MagicNanoseconds = 0xa1b23c4d;

    /// <summary>Larger records are taken as corruption rather than allocated: no link layer the switch
    /// handles comes close (libpcap's own ceiling, MAXIMUM_SNAPLEN, is 256 KiB).</summary>
    internal const int MaxRecordBytes = 64 << 20;

    private readonly PcapInput _in;
    private readonly bool _bigEndian;
    private readonly bool _nanoseconds;
    private readonly byte[] _header = new byte[16];

    public ushort LinkType { get; }
    public uint SnapLen { get; }
    public bool Nanoseconds => _nanoseconds;

    /// <param name="magicLe">The first four bytes (already consumed) read as little-endian.</param>
    public ClassicPcapDecoder(PcapInput input, uint magicLe)
    {
        _in = input;
        _bigEndian = magicLe is not (MagicMicroseconds or MagicNanoseconds);
        uint magic = _bigEndian ? BinaryPrimitives.ReverseEndianness(magicLe) : magicLe;
        _nanoseconds = magic == MagicNanoseconds;
        Span<byte> h = stackalloc byte[20];
        input.ReadExactly(h, "pcap file header");
        ushort major = U16(h), minor = U16(h[2..]);
        // Version 2.4 is the only one written since 1998; 2.x readers accept any minor.
        if (major != 2) throw input.Error(4, $"unsupported pcap version {major}.{minor} (expected 2.x)");
        SnapLen = U32(h[12..]);
        // The upper bits of the link-type word may carry FCS length flags (pcap-linktype(7)); the type is the low 16.
        LinkType = (ushort)U32(h[16..]);
    }

    public PcapRecord? Read()
    {
        long at = _in.Offset;
        if (!_in.TryReadExactly(_header, allowEof: true, "pcap record header")) return null;
        uint sec = U32(_header), frac = U32(_header.AsSpan(4)), incl = U32(_header.AsSpan(8));
        if (incl > MaxRecordBytes)
            throw _in.Error(at + 8, $"bad pcap record header: captured length {incl} exceeds {MaxRecordBytes}");
        var data = new byte[incl];
        _in.ReadExactly(data, "pcap record data");
        // A sub-second part of a second or more (some capture tools write 1000000) is added as is, as
        // Wireshark reads it, rather than making the whole file unreadable.
        long us = sec * 1_000_000L + (_nanoseconds ? frac / 1000 : frac);
        return new PcapRecord(us, LinkType, data);
    }

    private ushort U16(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private uint U32(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
}
