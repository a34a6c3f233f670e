using System.Buffers.Binary;

namespace Switch.Core.Ports;

/// <summary>
/// pcapng files (draft-ietf-opsawg-pcapng): a sequence of sections, each a Section Header Block (whose
/// byte-order magic sets the byte order of the section) followed by Interface Description Blocks and
/// packet blocks. Enhanced, Simple and the obsolete Packet Block yield records; every other block type
/// is skipped, as the format asks readers to do with blocks they do not understand.
/// </summary>
internal sealed class PcapNgDecoder : IPcapDecoder
{
    public const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint InterfaceDescriptionType = 1, ObsoletePacketType = 2, SimplePacketType = 3, EnhancedPacketType = 6;
    private const ushort OptEnd = 0, OptTsResol = 9, OptTsOffset = 14;

    /// <summary>Larger blocks are taken as corruption rather than allocated (see <see cref="ClassicPcapDecoder.MaxRecordBytes"/>).</summary>
    private const int MaxBlockBytes = ClassicPcapDecoder.MaxRecordBytes + 64;

    private readonly PcapInput _in;
    private readonly List<PcapNgInterface> _interfaces = [];
    private byte[] _body = new byte[2048];
    private bool _bigEndian;
    /// <summary>The SHB type of the first block was consumed by format detection.</summary>
    private bool _typeConsumed = true;
    /// <summary>Simple Packet Blocks carry no timestamp; they take the previous packet's.</summary>
    private long _lastTimestampUs;

    public PcapNgDecoder(PcapInput input) => _in = input;

    public PcapRecord? Read()
    {
        Span<byte> head = stackalloc byte[12];
        while (true)
        {
            bool first = _typeConsumed;
            long start = _in.Offset - (first ? 4 : 0);
            if (!first && !_in.TryReadExactly(head[..4], allowEof: true, "pcapng block header")) return null;
            _typeConsumed = false;
            // The SHB type reads the same in both byte orders; the byte-order magic after its length decides.
            uint type = U32(head);
            if (first || type == SectionHeaderType)
            {
                type = SectionHeaderType;
                _in.ReadExactly(head[4..12], "pcapng section header");
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                if (bom == ByteOrderMagic) _bigEndian = false;
                else if (bom == BinaryPrimitives.ReverseEndianness(ByteOrderMagic)) _bigEndian = true;
                else throw _in.Error(start + 8, $"bad pcapng section header: byte-order magic 0x{bom:x8} is neither 0x1a2b3c4d nor 0x4d3c2b1a");
            }
            else _in.ReadExactly(head[4..8], "pcapng block header");
            uint length = U32(head[4..]);
            int consumed = type == SectionHeaderType ? 12 : 8;
            int minimum = type == SectionHeaderType ? 28 : 12;
            if (length < minimum || length % 4 != 0 || length > MaxBlockBytes)
                throw _in.Error(start + 4, $"bad pcapng block (type 0x{type:x8}): total length {length} is not a multiple of 4 between {minimum} and {MaxBlockBytes}");
            int bodyLen = (int)length - consumed - 4;
            if (_body.Length < bodyLen + 4) _body = new byte[Math.Max(bodyLen + 4, _body.Length * 2)];
            var all = _body.AsSpan(0, bodyLen + 4);
            _in.ReadExactly(all, $"pcapng block (type 0x{type:x8}, {length} bytes)");
            uint trailer = U32(all[bodyLen..]);
            if (trailer != length)
                throw _in.Error(start + length - 4, $"bad pcapng block (type 0x{type:x8}): trailing length {trailer} differs from leading length {length}");
            var body = all[..bodyLen];
            long bodyAt = start + consumed;
            switch (type)
            {
                case SectionHeaderType: StartSection(body, bodyAt); break;
                case InterfaceDescriptionType: _interfaces.Add(ReadInterface(body, bodyAt)); break;
                case EnhancedPacketType: return ReadPacket(body, bodyAt, wideInterfaceId: true, 4, 20, "enhanced packet block");
                case ObsoletePacketType: return ReadPacket(body, bodyAt, wideInterfaceId: false, 4, 20, "packet block");
                case SimplePacketType: return ReadSimplePacket(body, bodyAt);
            }
        }
    }

    private void StartSection(ReadOnlySpan<byte> body, long at)
    {
        ushort major = U16(body), minor = U16(body[2..]);
        if (major != 1) throw _in.Error(at, $"unsupported pcapng version {major}.{minor} (expected 1.x)");
        // Interface ids are numbered per section (draft section 4.2).
        _interfaces.Clear();
    }

    private PcapNgInterface ReadInterface(ReadOnlySpan<byte> body, long at)
    {
        if (body.Length < 8) throw _in.Error(at, "bad interface description block: body shorter than 8 bytes");
        ulong units = 1_000_000;
        long offsetSeconds = 0;
        int p = 8;
        while (p + 4 <= body.Length)
        {
            ushort code = U16(body[p..]), len = U16(body[(p + 2)..]);
            if (code == OptEnd) break;
            if (p + 4 + len > body.Length)
                throw _in.Error(at + p, $"bad interface description block: option {code} of {len} bytes runs past the block");
            var value = body.Slice(p + 4, len);
            if (code == OptTsResol && len >= 1) units = Resolution(value[0], at + p + 4);
            else if (code == OptTsOffset && len >= 8)
                offsetSeconds = _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(value) : BinaryPrimitives.ReadInt64LittleEndian(value);
            p += 4 + ((len + 3) & ~3);
        }
        return new PcapNgInterface(U16(body), U32(body[4..]), units, offsetSeconds);
    }

    /// <summary>if_tsresol: a power of 10, or of 2 when the high bit is set.</summary>
    private ulong Resolution(byte v, long at)
    {
        int exp = v & 0x7f;
        bool binary = (v & 0x80) != 0;
        // 10^19 and 2^63 are the largest that fit a ulong; finer clocks do not exist.
        if (binary ? exp > 63 : exp > 19) throw _in.Error(at, $"unsupported if_tsresol 0x{v:x2}");
        if (binary) return 1UL << exp;
        ulong u = 1;
        for (int i = 0; i < exp; i++) u *= 10;
        return u;
    }

    /// <summary>Enhanced (and obsolete Packet) blocks: interface id (32 bits, or 16 in the obsolete block), then
    /// timestamp high/low words at <paramref name="tsAt"/>, captured and original lengths, data from
    /// <paramref name="dataAt"/>. The body's length is checked before any field of it is read.</summary>
    private PcapRecord ReadPacket(ReadOnlySpan<byte> body, long at, bool wideInterfaceId, int tsAt, int dataAt, string what)
    {
        if (body.Length < dataAt) throw _in.Error(at, $"bad {what}: body shorter than {dataAt} bytes");
        uint ifId = wideInterfaceId ? U32(body) : U16(body);
        if (ifId >= _interfaces.Count)
            throw _in.Error(at, $"bad {what}: interface {ifId} is not described (section has {_interfaces.Count})");
        var itf = _interfaces[(int)ifId];
        ulong ticks = ((ulong)U32(body[tsAt..]) << 32) | U32(body[(tsAt + 4)..]);
        uint captured = U32(body[(tsAt + 8)..]);
        if (captured > body.Length - dataAt)
            throw _in.Error(at + tsAt + 8, $"bad {what}: captured length {captured} exceeds the block");
        long ts = itf.ToMicroseconds(ticks) ?? throw _in.Error(at + tsAt, $"bad {what}: timestamp {ticks} out of range");
        _lastTimestampUs = ts;
        return new PcapRecord(ts, itf.LinkType, body.Slice(dataAt, (int)captured).ToArray());
    }

    private PcapRecord ReadSimplePacket(ReadOnlySpan<byte> body, long at)
    {
        if (body.Length < 4) throw _in.Error(at, "bad simple packet block: body shorter than 4 bytes");
        if (_interfaces.Count == 0) throw _in.Error(at, "bad simple packet block: no interface described before it");
        var itf = _interfaces[0];
        // Captured length is implicit: the original length, limited by the snap length and the block (draft 4.4).
        long captured = Math.Min(U32(body), body.Length - 4);
        if (itf.SnapLen != 0) captured = Math.Min(captured, itf.SnapLen);
        return new PcapRecord(_lastTimestampUs, itf.LinkType, body.Slice(4, (int)captured).ToArray());
    }

    private ushort U16(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private uint U32(ReadOnlySpan<byte> s) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
}
