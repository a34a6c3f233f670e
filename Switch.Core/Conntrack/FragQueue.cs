namespace Switch.Core.Conntrack;

/// <summary>The fragments of one datagram held so far (struct inet_frag_queue), kept sorted by offset.</summary>
internal sealed class FragQueue
{
    public readonly FragKey Key;
    public readonly long ExpiresUs;
    public readonly List<(int Offset, byte[] Data)> Fragments = new(4);
    /// <summary>Frame bytes up to the fragmentable part, from the offset-0 fragment (L2 + IPv4 header, or
    /// L2 + IPv6 header + unfragmentable extension headers).</summary>
    public byte[]? Head;
    /// <summary>IPv6: where, inside <see cref="Head"/>, the next-header byte naming the Fragment header is.</summary>
    public int HeadNextHeaderAt;
    public int L3Ofs;
    /// <summary>IPv6: the protocol after the Fragment header (from the offset-0 fragment).</summary>
    public byte NextHeader;
    /// <summary>Datagram payload length: known for sure once the last fragment arrived (<see cref="LastIn"/>).</summary>
    public int Len;
    public bool LastIn;
    public int Meat;
    /// <summary>Largest fragment L3 length (the MRU) and whether that fragment had DF set (IPv4).</summary>
    public int MaxSize;
    public bool MaxSizeDf;
    public int Bytes;
    public bool Dead;
    /// <summary>Links in the per-family age list (fixed timeout, so creation order is expiry order).</summary>
    public FragQueue? Older, Newer;

    public FragQueue(in FragKey key, long expiresUs) { Key = key; ExpiresUs = expiresUs; }
}
