using Switch.Actors.Packets;

namespace Switch.Actors.Datapath;

/// <summary>
/// One OpenFlow table as a tuple-space classifier (the design of OVS's lib/classifier.c): flows are grouped
/// by mask into subtables; each subtable hashes the masked key over only the words its mask touches. A lookup
/// probes subtables in order of their highest priority and stops once no remaining subtable can beat the
/// best match, so cost grows with the number of distinct masks, not the number of flows.
/// </summary>
public sealed class FlowTable
{
    private readonly List<Subtable> _subtables = new();
    public byte Id { get; }
    public long Lookups, Matched;
    public int Count { get; private set; }

    public FlowTable(byte id) => Id = id;

    private sealed class Subtable
    {
        public readonly int[] WordIdx;
        public readonly ulong[] MaskWords;
        public readonly Dictionary<ulong, List<Flow>> Buckets = new();
        public int MaxPriority = -1;
        public int Count;

        public Subtable(in FlowKey mask)
        {
            var idx = new List<int>();
            var words = new List<ulong>();
            for (int i = 0; i < FlowKey.Words; i++)
                if (mask.W[i] != 0) { idx.Add(i); words.Add(mask.W[i]); }
            WordIdx = idx.ToArray();
            MaskWords = words.ToArray();
        }

        public bool SameMask(in FlowKey mask)
        {
            int j = 0;
            for (int i = 0; i < FlowKey.Words; i++)
            {
                if (mask.W[i] == 0) continue;
                if (j >= WordIdx.Length || WordIdx[j] != i || MaskWords[j] != mask.W[i]) return false;
                j++;
            }
            return j == WordIdx.Length;
        }

        public ulong Hash(in FlowKey k)
        {
            ulong h = 0xcbf29ce484222325;
            for (int j = 0; j < WordIdx.Length; j++)
            {
                h ^= k.W[WordIdx[j]] & MaskWords[j];
                h *= 0x100000001b3;
                h ^= h >> 29;
            }
            return h;
        }

        public bool Equal(in FlowKey k, Flow f)
        {
            for (int j = 0; j < WordIdx.Length; j++)
            {
                int i = WordIdx[j];
                if (((k.W[i] ^ f.Match.Value.W[i]) & MaskWords[j]) != 0) return false;
            }
            return true;
        }
    }

    public IEnumerable<Flow> Flows => _subtables.SelectMany(s => s.Buckets.Values.SelectMany(b => b));

    /// <summary>Adds <paramref name="flow"/>, replacing a flow with the same match and priority (add-flow semantics).</summary>
    public Flow? Add(Flow flow)
    {
        var old = FindStrict(flow.Match, flow.Priority);
        if (old is not null) Remove(old);
        var st = _subtables.Find(s => s.SameMask(flow.Match.Mask));
        if (st is null) { st = new Subtable(flow.Match.Mask); _subtables.Add(st); }
        ulong h = st.Hash(flow.Match.Value);
        if (!st.Buckets.TryGetValue(h, out var list)) st.Buckets[h] = list = new List<Flow>(1);
        int at = list.FindIndex(f => f.Priority < flow.Priority);
        list.Insert(at < 0 ? list.Count : at, flow);
        st.Count++;
        if (flow.Priority > st.MaxPriority) { st.MaxPriority = flow.Priority; Resort(); }
        Count++;
        return old;
    }

    public Flow? FindStrict(Match match, int priority)
    {
        var st = _subtables.Find(s => s.SameMask(match.Mask));
        if (st is null || !st.Buckets.TryGetValue(st.Hash(match.Value), out var list)) return null;
        return list.Find(f => f.Priority == priority && f.Match.SameAs(match));
    }

    public bool Remove(Flow flow)
    {
        var st = _subtables.Find(s => s.SameMask(flow.Match.Mask));
        if (st is null) return false;
        ulong h = st.Hash(flow.Match.Value);
        if (!st.Buckets.TryGetValue(h, out var list) || !list.Remove(flow)) return false;
        if (list.Count == 0) st.Buckets.Remove(h);
        st.Count--; Count--;
        if (st.Count == 0) _subtables.Remove(st);
        else if (flow.Priority == st.MaxPriority)
        {
            st.MaxPriority = st.Buckets.Values.Max(b => b[0].Priority);
            Resort();
        }
        return true;
    }

    private void Resort() => _subtables.Sort((a, b) => b.MaxPriority.CompareTo(a.MaxPriority));

    /// <summary>The highest-priority flow matching <paramref name="k"/>, or null (table miss).</summary>
    public Flow? Lookup(in FlowKey k)
    {
        Lookups++;
        Flow? best = null;
        var subs = _subtables;
        for (int s = 0; s < subs.Count; s++)
        {
            var st = subs[s];
            if (best is not null && st.MaxPriority <= best.Priority) break;
            if (!st.Buckets.TryGetValue(st.Hash(k), out var list)) continue;
            for (int i = 0; i < list.Count; i++)
            {
                var f = list[i];
                if (best is not null && f.Priority <= best.Priority) break;
                if (st.Equal(k, f)) { best = f; break; }
            }
        }
        if (best is not null) Matched++;
        return best;
    }
}
