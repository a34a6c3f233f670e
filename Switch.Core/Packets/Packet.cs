namespace Switch.Core.Packets;

/// <summary>
/// One frame in flight through a node: bytes with headroom in front (so push_vlan does not copy the
/// frame), the port it came in on, its capture time, and its MRU when conntrack reassembled it from
/// fragments (0 otherwise), so output can refragment to the largest fragment received.
/// </summary>
public sealed class Packet
{
    public const int Headroom = 16;

    public byte[] Buffer;
    public int Offset;
    public int Length;
    public uint InPort;
    /// <summary>Capture time, microseconds since the Unix epoch.</summary>
    public long TimestampUs;
    /// <summary>Maximum received unit (largest fragment's L3 length) when reassembled; 0 when not.</summary>
    public int Mru;
    /// <summary>Tunnel metadata of a frame received on a tunnel port (VNI and IPv4 source), matched as tun_id/tun_src.</summary>
    public ulong TunId;
    public uint TunSrc;

    public Packet(byte[] buffer, int offset, int length, uint inPort = 0, long timestampUs = 0)
    {
        Buffer = buffer; Offset = offset; Length = length; InPort = inPort; TimestampUs = timestampUs;
    }

    /// <summary>Copies a frame into a new buffer with headroom.</summary>
    public static Packet From(ReadOnlySpan<byte> frame, uint inPort = 0, long timestampUs = 0)
    {
        var buf = new byte[frame.Length + Headroom];
        frame.CopyTo(buf.AsSpan(Headroom));
        return new Packet(buf, Headroom, frame.Length, inPort, timestampUs);
    }

    public Span<byte> Span => Buffer.AsSpan(Offset, Length);

    public Packet Clone() => new(Span.ToArray(), 0, Length, InPort, TimestampUs) { Mru = Mru, TunId = TunId, TunSrc = TunSrc };

    /// <summary>Opens <paramref name="bytes"/> of room at <paramref name="at"/> (frame-relative), moving the
    /// bytes before it into the headroom.</summary>
    public void InsertGap(int at, int bytes)
    {
        if (Offset < bytes)
        {
            var nb = new byte[Length + bytes + Headroom];
            Buffer.AsSpan(Offset, at).CopyTo(nb.AsSpan(Headroom));
            Buffer.AsSpan(Offset + at, Length - at).CopyTo(nb.AsSpan(Headroom + at + bytes));
            Buffer = nb; Offset = Headroom; Length += bytes;
            return;
        }
        Buffer.AsSpan(Offset, at).CopyTo(Buffer.AsSpan(Offset - bytes));
        Offset -= bytes; Length += bytes;
    }

    /// <summary>Removes <paramref name="bytes"/> at <paramref name="at"/> by moving the bytes before it forward.</summary>
    public void RemoveGap(int at, int bytes)
    {
        Buffer.AsSpan(Offset, at).CopyTo(Buffer.AsSpan(Offset + bytes));
        Offset += bytes; Length -= bytes;
    }
}
