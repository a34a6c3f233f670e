using Switch.Core.Conntrack;
using Switch.Core.Packets;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>Conversions between the engine's types and the cluster's wire records.</summary>
public static class CtWire
{
    /// <summary>The pipeline's words (<see cref="FlowKey.PipelineWords"/>), carried with a query so a reassembled
    /// datagram keeps them.</summary>
    public static ulong[] Meta(in FlowKey k)
    {
        var words = FlowKey.PipelineWords;
        var m = new ulong[words.Length];
        for (int i = 0; i < m.Length; i++) m[i] = k.W[words[i]];
        return m;
    }

    public static void ApplyMeta(ref FlowKey k, ulong[] meta)
    {
        var words = FlowKey.PipelineWords;
        for (int i = 0; i < words.Length && i < meta.Length; i++) k.W[words[i]] = meta[i];
    }

    private const int CtWordCount = 1 + FlowKey.LastCtWord - FlowKey.FirstCtWord + 1;

    /// <summary>The key's ct words, compact: the ct bits of the state word, then words 17-24 (mark, tuple, label).</summary>
    public static ulong[] CtWords(in FlowKey k)
    {
        var w = new ulong[CtWordCount];
        w[0] = k.W[FlowKey.CtStateWord] & FlowKey.CtBitsOfStateWord;
        for (int i = FlowKey.FirstCtWord; i <= FlowKey.LastCtWord; i++) w[1 + i - FlowKey.FirstCtWord] = k.W[i];
        return w;
    }

    public static void ApplyCtWordsCompact(ref FlowKey k, ulong[] w)
    {
        if (w.Length < CtWordCount) return;
        k.SetCt(w[0], w.AsSpan(1, CtWordCount - 1));
    }

    public static ulong[] Words(in FlowKey k)
    {
        var w = new ulong[FlowKey.Words];
        for (int i = 0; i < w.Length; i++) w[i] = k.W[i];
        return w;
    }

    /// <summary>Copies the ct fields from a whole key's words (an answer that carries the key).</summary>
    public static void ApplyCtWords(ref FlowKey k, ulong[] words)
    {
        k.SetCt(words[FlowKey.CtStateWord], words.AsSpan(FlowKey.FirstCtWord, CtWordCount - 1));
    }

    public static CtRequestData ToWire(in CtRequest r) => new(r.Zone, r.Commit, r.Force, (byte)r.Alg, r.SetMark, r.Mark, r.MarkMask,
        r.SetLabel, (ulong)(r.Label >> 64), (ulong)r.Label, (ulong)(r.LabelMask >> 64), (ulong)r.LabelMask);

    public static CtRequest FromWire(CtRequestData d) => new(d.Zone, d.Commit, d.Force, (CtAlg)d.Alg, d.SetMark, d.Mark, d.MarkMask,
        d.SetLabel, new UInt128(d.LabelHi, d.LabelLo), new UInt128(d.LabelMaskHi, d.LabelMaskLo));

    /// <summary>Runs a query through <paramref name="engine"/> and builds its answer (a malformed frame is dropped).</summary>
    public static CtReply Decide(ConntrackEngine engine, CtQuery q) => Decide(engine, OpenedQuery.Open(q));

    /// <summary>Runs a query opened once on this node through <paramref name="engine"/>.</summary>
    public static CtReply Decide(ConntrackEngine engine, OpenedQuery o)
    {
        if (o.Packet is not { } packet)
            return new CtReply(o.Query.Id, CtWireVerdict.Drop, "malformed", Array.Empty<ulong>(), null, 0);
        var key = o.Key;
        var outcome = engine.Execute(ref packet, ref key, FromWire(o.Query.Request));
        return new CtReply(o.Query.Id, (byte)outcome.Verdict, outcome.DropReason, Words(key), null, 0);
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
