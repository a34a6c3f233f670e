using System.Runtime.CompilerServices;

namespace Switch.Core.Packets;

/// <summary>
/// The OpenFlow match fields of one packet (what OVS calls the flow), packed in <see cref="FlowWords"/>.
/// A mutable struct passed by ref: actions rewrite fields in place and the packet is brought in line
/// with the key when it leaves (see <see cref="PacketRewriter"/>). Field placement (word, shift, bits) is in the
/// properties below; the flow syntax's table of fields (<c>Datapath/Fields</c>) names the same places.
/// ICMP type/code live in tp_src/tp_dst and ARP op/spa/tpa in nw_proto/nw_src/nw_dst, as in OVS.
/// </summary>
public struct FlowKey
{
    public const int Words = 27;
    public FlowWords W;

    /// <summary>Offsets into the frame (not match fields): L3 header, L4 header, L4 payload; -1 when absent.</summary>
    public int L3Ofs, L4Ofs, L7Ofs;
    /// <summary>Bytes of L3 datagram present in the frame (IPv4 total length / IPv6 40+payload), 0 when not IP.</summary>
    public int L3Len;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ulong Get(int word, int shift, int bits) =>
        bits == 64 ? W[word] : (W[word] >> shift) & ((1UL << bits) - 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(int word, int shift, int bits, ulong value)
    {
        if (bits == 64) { W[word] = value; return; }
        ulong m = ((1UL << bits) - 1) << shift;
        W[word] = (W[word] & ~m) | ((value << shift) & m);
    }

    public uint InPort { readonly get => (uint)Get(0, 0, 32); set => Set(0, 0, 32, value); }
    public ushort DlType { readonly get => (ushort)Get(0, 32, 16); set => Set(0, 32, 16, value); }
    /// <summary>802.1Q TCI of the outer tag with the CFI bit (0x1000) set when a tag is present, as OVS.</summary>
    public ushort VlanTci { readonly get => (ushort)Get(0, 48, 16); set => Set(0, 48, 16, value); }
    public ulong DlSrc { readonly get => Get(1, 0, 48); set => Set(1, 0, 48, value); }
    public byte NwProto { readonly get => (byte)Get(1, 48, 8); set => Set(1, 48, 8, value); }
    public byte NwTtl { readonly get => (byte)Get(1, 56, 8); set => Set(1, 56, 8, value); }
    public ulong DlDst { readonly get => Get(2, 0, 48); set => Set(2, 0, 48, value); }
    /// <summary>DSCP bits of the TOS/traffic class byte (tos &amp; 0xfc), as OVS nw_tos.</summary>
    public byte NwTos { readonly get => (byte)Get(2, 48, 8); set => Set(2, 48, 8, value); }
    public byte NwEcn { readonly get => (byte)Get(2, 56, 2); set => Set(2, 56, 2, value); }
    /// <summary>FragAny (1) | FragLater (2), as OVS FLOW_NW_FRAG_*.</summary>
    public byte NwFrag { readonly get => (byte)Get(2, 58, 2); set => Set(2, 58, 2, value); }
    public uint NwSrc { readonly get => (uint)Get(3, 0, 32); set => Set(3, 0, 32, value); }
    public uint NwDst { readonly get => (uint)Get(3, 32, 32); set => Set(3, 32, 32, value); }
    public ushort TpSrc { readonly get => (ushort)Get(4, 0, 16); set => Set(4, 0, 16, value); }
    public ushort TpDst { readonly get => (ushort)Get(4, 16, 16); set => Set(4, 16, 16, value); }
    public ushort TcpFlags { readonly get => (ushort)Get(4, 32, 12); set => Set(4, 32, 12, value); }
    /// <summary>Inner 802.1Q TCI of a QinQ frame (CFI set when present).</summary>
    public ushort Vlan2Tci { readonly get => (ushort)Get(4, 48, 16); set => Set(4, 48, 16, value); }
    public UInt128 Ipv6Src { readonly get => new(W[5], W[6]); set { W[5] = (ulong)(value >> 64); W[6] = (ulong)value; } }
    public UInt128 Ipv6Dst { readonly get => new(W[7], W[8]); set { W[7] = (ulong)(value >> 64); W[8] = (ulong)value; } }
    public uint Ipv6Label { readonly get => (uint)Get(9, 0, 20); set => Set(9, 0, 20, value); }
    public byte CtState { readonly get => (byte)Get(9, 24, 8); set => Set(9, 24, 8, value); }
    public ushort CtZone { readonly get => (ushort)Get(9, 32, 16); set => Set(9, 32, 16, value); }
    public byte CtNwProto { readonly get => (byte)Get(9, 48, 8); set => Set(9, 48, 8, value); }
    public ulong ArpSha { readonly get => Get(10, 0, 48); set => Set(10, 0, 48, value); }
    public ulong ArpTha { readonly get => Get(11, 0, 48); set => Set(11, 0, 48, value); }
    public ulong Metadata { readonly get => W[12]; set => W[12] = value; }
    public uint CtMark { readonly get => (uint)Get(17, 0, 32); set => Set(17, 0, 32, value); }
    public ushort CtTpSrc { readonly get => (ushort)Get(17, 32, 16); set => Set(17, 32, 16, value); }
    public ushort CtTpDst { readonly get => (ushort)Get(17, 48, 16); set => Set(17, 48, 16, value); }
    public uint CtNwSrc { readonly get => (uint)Get(18, 0, 32); set => Set(18, 0, 32, value); }
    public uint CtNwDst { readonly get => (uint)Get(18, 32, 32); set => Set(18, 32, 32, value); }
    public UInt128 CtLabel { readonly get => new(W[19], W[20]); set { W[19] = (ulong)(value >> 64); W[20] = (ulong)value; } }
    public UInt128 CtIpv6Src { readonly get => new(W[21], W[22]); set { W[21] = (ulong)(value >> 64); W[22] = (ulong)value; } }
    public UInt128 CtIpv6Dst { readonly get => new(W[23], W[24]); set { W[23] = (ulong)(value >> 64); W[24] = (ulong)value; } }
    public ulong TunId { readonly get => W[25]; set => W[25] = value; }
    public uint TunSrc { readonly get => (uint)Get(26, 0, 32); set => Set(26, 0, 32, value); }
    public uint TunDst { readonly get => (uint)Get(26, 32, 32); set => Set(26, 32, 32, value); }

    public readonly uint GetReg(int i) => (uint)Get(13 + i / 2, (i & 1) * 32, 32);
    public void SetReg(int i, uint v) => Set(13 + i / 2, (i & 1) * 32, 32, v);

    public readonly bool IsIpv4 => DlType == EtherTypes.Ipv4;
    public readonly bool IsIpv6 => DlType == EtherTypes.Ipv6;
    public readonly bool IsIp => DlType is EtherTypes.Ipv4 or EtherTypes.Ipv6;

    public const byte FragAny = 1, FragLater = 2;

    // Word groups, for code that moves whole groups (conntrack across reassembly, the cluster wire): named here so
    // no one else indexes words by number.

    /// <summary>The words the pipeline owns and conntrack keeps across reassembly: metadata (12), registers (13-16),
    /// tunnel id and endpoints (25, 26).</summary>
    public static ReadOnlySpan<int> PipelineWords => [12, 13, 14, 15, 16, 25, 26];

    /// <summary>Word 9 holds ct_state, ct_zone and ct_nw_proto (these bits) next to ipv6_label (the others).</summary>
    public const int CtStateWord = 9;
    public const ulong CtBitsOfStateWord = ~0xFF00_0000_00FF_FFFFUL;
    /// <summary>Words 17-24: ct_mark, the original tuple's ports and addresses, ct_label.</summary>
    public const int FirstCtWord = 17, LastCtWord = 24;

    /// <summary>Takes the pipeline's words (metadata, registers, tunnel) from <paramref name="from"/>.</summary>
    public void CopyPipelineWords(in FlowKey from)
    {
        foreach (int w in PipelineWords) W[w] = from.W[w];
    }

    /// <summary>Sets every ct_* field (the answer of a conntrack decided elsewhere): the ct bits of
    /// <paramref name="stateWord"/> and words <see cref="FirstCtWord"/>..<see cref="LastCtWord"/> from
    /// <paramref name="ctWords"/> (8 words).</summary>
    public void SetCt(ulong stateWord, ReadOnlySpan<ulong> ctWords)
    {
        W[CtStateWord] = (W[CtStateWord] & ~CtBitsOfStateWord) | (stateWord & CtBitsOfStateWord);
        for (int i = FirstCtWord; i <= LastCtWord; i++) W[i] = ctWords[i - FirstCtWord];
    }

    /// <summary>Clears the ct_* fields (the ct_clear action, and the state before any ct).</summary>
    public void ClearCt()
    {
        W[CtStateWord] &= ~CtBitsOfStateWord;
        for (int i = FirstCtWord; i <= LastCtWord; i++) W[i] = 0;
    }
}

public static class EtherTypes
{
    public const ushort Ipv4 = 0x0800, Arp = 0x0806, Ipv6 = 0x86DD, Vlan = 0x8100, QinQ = 0x88A8, QinQOld = 0x9100;
}

public static class IpProtos
{
    public const byte Icmp = 1, Tcp = 6, Udp = 17, Icmpv6 = 58, Sctp = 132;
    public const byte HopByHop = 0, Routing = 43, Fragment = 44, DestOpts = 60, Ah = 51, NoNext = 59;
}
