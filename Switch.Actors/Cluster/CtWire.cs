using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>Conversions between the engine's types and the cluster's wire records.</summary>
public static class CtWire
{
    // Words the pipeline owns and the engine keeps across reassembly: metadata, registers, tunnel.
    private static readonly int[] MetaWords = { 12, 13, 14, 15, 16, 25, 26 };

    public static ulong[] Meta(in FlowKey k)
    {
        var m = new ulong[MetaWords.Length];
        for (int i = 0; i < m.Length; i++) m[i] = k.W[MetaWords[i]];
        return m;
    }

    public static void ApplyMeta(ref FlowKey k, ulong[] meta)
    {
        for (int i = 0; i < MetaWords.Length && i < meta.Length; i++) k.W[MetaWords[i]] = meta[i];
    }

    private const ulong CtBitsOfW9 = ~0xFF00_0000_00FF_FFFFUL;

    /// <summary>The key's ct words: W9's ct bits (state, zone, ct_nw_proto) and W17-W24 (mark, tuple, label).</summary>
    public static ulong[] CtWords(in FlowKey k)
    {
        var w = new ulong[9];
        w[0] = k.W[9] & CtBitsOfW9;
        for (int i = 17; i <= 24; i++) w[i - 16] = k.W[i];
        return w;
    }

    public static void ApplyCtWordsCompact(ref FlowKey k, ulong[] w)
    {
        if (w.Length < 9) return;
        k.W[9] = (k.W[9] & ~CtBitsOfW9) | (w[0] & CtBitsOfW9);
        for (int i = 17; i <= 24; i++) k.W[i] = w[i - 16];
    }

    public static ulong[] Words(in FlowKey k)
    {
        var w = new ulong[FlowKey.Words];
        for (int i = 0; i < w.Length; i++) w[i] = k.W[i];
        return w;
    }

    /// <summary>Copies the ct words (ct_state/zone/nw_proto, mark, tuple ports, tuple addresses, label) from the answer.</summary>
    public static void ApplyCtWords(ref FlowKey k, ulong[] words)
    {
        // W9 shares ipv6_label with the ct fields: take only the ct bits.
        k.W[9] = (k.W[9] & ~CtBitsOfW9) | (words[9] & CtBitsOfW9);
        for (int i = 17; i <= 24; i++) k.W[i] = words[i];
    }

    public static CtRequestData ToWire(in CtRequest r) => new(r.Zone, r.Commit, r.Force, (byte)r.Alg, r.SetMark, r.Mark, r.MarkMask,
        r.SetLabel, (ulong)(r.Label >> 64), (ulong)r.Label, (ulong)(r.LabelMask >> 64), (ulong)r.LabelMask);

    public static CtRequest FromWire(CtRequestData d) => new(d.Zone, d.Commit, d.Force, (CtAlg)d.Alg, d.SetMark, d.Mark, d.MarkMask,
        d.SetLabel, new UInt128(d.LabelHi, d.LabelLo), new UInt128(d.LabelMaskHi, d.LabelMaskLo));

    /// <summary>Runs a query through <paramref name="engine"/> and builds its answer (a malformed frame is dropped).</summary>
    public static CtReply Decide(ConntrackEngine engine, CtQuery q)
    {
        if (!TryOpen(q, out var packet, out var key))
            return new CtReply(q.Id, CtWireVerdict.Drop, "malformed", Array.Empty<ulong>(), null, 0);
        var outcome = engine.Execute(ref packet, ref key, FromWire(q.Request));
        return new CtReply(q.Id, (byte)outcome.Verdict, outcome.DropReason, Words(key), null, 0);
    }

    /// <summary>Rebuilds the packet and key an entity tracks from a query.</summary>
    public static bool TryOpen(CtQuery q, out Packet packet, out FlowKey key)
    {
        packet = Packet.From(q.Frame, q.InPort);
        key = default;
        if (PacketParser.Parse(packet.Span, q.InPort, ref key) != ParseResult.Ok) return false;
        ApplyMeta(ref key, q.Meta);
        ApplyCtWordsCompact(ref key, q.CtWords);
        return true;
    }
}
