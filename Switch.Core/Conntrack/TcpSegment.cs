using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Switch.Core.Conntrack;

/// <summary>The fields of one TCP segment the tracker reads; <see cref="Header"/> is the header with options.</summary>
public readonly ref struct TcpSegment
{
    public readonly ReadOnlySpan<byte> Header;
    public readonly uint Seq, Ack;
    public readonly ushort Window;
    public readonly byte Flags;
    public readonly int PayloadLen;

    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, AckFlag = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80;

    public TcpSegment(ReadOnlySpan<byte> header, int payloadLen)
    {
        Header = header;
        Seq = BinaryPrimitives.ReadUInt32BigEndian(header[4..]);
        Ack = BinaryPrimitives.ReadUInt32BigEndian(header[8..]);
        Flags = header[13];
        Window = BinaryPrimitives.ReadUInt16BigEndian(header[14..]);
        PayloadLen = payloadLen;
    }

    public bool IsSyn => (Flags & Syn) != 0;
    public bool IsAck => (Flags & AckFlag) != 0;
    public bool IsFin => (Flags & Fin) != 0;
    public bool IsRst => (Flags & Rst) != 0;

    /// <summary>segment_seq_plus_len: seq + payload, +1 for SYN, +1 for FIN.</summary>
    public uint End => Seq + (uint)PayloadLen + (IsSyn ? 1u : 0u) + (IsFin ? 1u : 0u);

    /// <summary>get_conntrack_index.</summary>
    public TcpIndex Index =>
        IsRst ? TcpIndex.Rst : IsSyn ? (IsAck ? TcpIndex.SynAck : TcpIndex.Syn) : IsFin ? TcpIndex.Fin
        : IsAck ? TcpIndex.Ack : TcpIndex.None;

    /// <summary>tcp_valid_flags: the combinations tcp_error accepts (PSH, ECE and CWR ignored). A lone FIN,
    /// SYN+FIN, SYN+RST or no flags at all are invalid.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool ValidFlags(byte flags) => (flags & ~(Psh | Ece | Cwr)) switch
    {
        Syn or Syn | Urg or Syn | AckFlag or Rst or Rst | AckFlag or Fin | AckFlag or Fin | AckFlag | Urg
            or AckFlag or AckFlag | Urg => true,
        _ => false,
    };
}
