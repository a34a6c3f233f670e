using System.Buffers.Binary;

namespace Switch.Tests.Ports;

/// <summary>Crafts capture-file bytes by hand in either byte order, so the reader is tested against the
/// format's layout rather than against our own writer.</summary>
internal sealed class ByteSink(bool bigEndian = false)
{
    private readonly List<byte> _bytes = [];

    public bool BigEndian => bigEndian;
    public int Length => _bytes.Count;

    public ByteSink U8(byte v) { _bytes.Add(v); return this; }

    public ByteSink U16(ushort v)
    {
        Span<byte> b = stackalloc byte[2];
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v);
        return Bytes(b);
    }

    public ByteSink U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Bytes(b);
    }

    public ByteSink Bytes(ReadOnlySpan<byte> b)
    {
        foreach (var x in b) _bytes.Add(x);
        return this;
    }

    public ByteSink Pad4()
    {
        while (_bytes.Count % 4 != 0) _bytes.Add(0);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    // ---- classic pcap ----

    public ByteSink PcapHeader(uint magic, ushort linkType = 1, uint snapLen = 65535) =>
        U32(magic).U16(2).U16(4).U32(0).U32(0).U32(snapLen).U32(linkType);

    public ByteSink PcapRecord(uint sec, uint frac, ReadOnlySpan<byte> data) =>
        U32(sec).U32(frac).U32((uint)data.Length).U32((uint)data.Length).Bytes(data);

    // ---- pcapng ----

    /// <summary>A generic block: type, total length, body padded to 4, total length.</summary>
    public ByteSink Block(uint type, ReadOnlySpan<byte> body)
    {
        uint len = (uint)(12 + ((body.Length + 3) & ~3));
        U32(type).U32(len).Bytes(body).Pad4();
        return U32(len);
    }

    public ByteSink SectionHeader() =>
        Block(0x0A0D0D0A, new ByteSink(bigEndian).U32(0x1A2B3C4D).U16(1).U16(0).U32(0xffffffff).U32(0xffffffff).ToArray());

    /// <summary>Interface Description Block; <paramref name="tsResol"/> adds an if_tsresol option.</summary>
    public ByteSink InterfaceDescription(ushort linkType, uint snapLen = 0, byte? tsResol = null)
    {
        var b = new ByteSink(bigEndian).U16(linkType).U16(0).U32(snapLen);
        // An option the reader does not know (if_name) first, to check options are walked with padding.
        b.U16(2).U16(5).Bytes("eth0\0"u8).Pad4();
        if (tsResol is { } r) b.U16(9).U16(1).U8(r).Pad4();
        b.U16(0).U16(0);
        return Block(1, b.ToArray());
    }

    public ByteSink EnhancedPacket(uint ifId, ulong ticks, ReadOnlySpan<byte> data) =>
        Block(6, new ByteSink(bigEndian).U32(ifId).U32((uint)(ticks >> 32)).U32((uint)ticks)
            .U32((uint)data.Length).U32((uint)data.Length).Bytes(data).Pad4().ToArray());

    public ByteSink SimplePacket(ReadOnlySpan<byte> data) =>
        Block(3, new ByteSink(bigEndian).U32((uint)data.Length).Bytes(data).Pad4().ToArray());
}
