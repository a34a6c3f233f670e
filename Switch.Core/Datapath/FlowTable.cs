using Switch.Core.Packets;

namespace Switch.Core.Datapath;

/// <summary>
/// One OpenFlow table as a tuple-space classifier (the design of OVS's lib/classifier.c): flows are grouped
/// by mask into subtables; each subtable hashes the masked key over only the words its mask touches. A lookup
/// probes subtables in order of their highest priority and stops once no remaining subtable can beat the
/// best match, so cost grows with the number of distinct masks, not the number of flows.
/// Changes cost the same whatever the table holds: subtables are found by a hash of their mask, each keeps a count of
/// its flows per priority (its highest priority is the last key), and the probe order is re-sorted once, before the
/// next lookup, however many changes came in between. (Loading 20 000 masks, or a file whose lines replace each
/// other, was quadratic before.)
/// </summary>
public sealed class FlowTable
{
    private readonly List<Subtable> _subtables = new();
    private readonly Dictionary<ulong, List<Subtable>> _byMask = new();
    private bool _unsorted;
    public byte Id { get; }
    public long Lookups, Matched;
    public int Count { get; private set; }

    public FlowTable(byte id) => Id = id;

    private sealed class Subtable
    {
        public readonly int[] WordIdx;
        public readonly ulong[] MaskWords;
        public readonly Dictionary<ulong, List<Flow>> Buckets = new();
        private readonly Dictionary<int, int> _perPriority = new();
        private readonly SortedSet<int> _priorities = new();
        public readonly ulong MaskHash;
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
            MaskHash = HashOf(mask);
        }

        public static ulong HashOf(in FlowKey mask)
        {
            ulong h = 0xcbf29ce484222325;
            for (int i = 0; i < FlowKey.Words; i++)
            {
                if (mask.W[i] == 0) continue;
                h ^= mask.W[i] ^ (ulong)i << 56;
                h *= 0x100000001b3;
                h ^= h >> 31;
            }
            return h;
        }

        public void AddPriority(int p)
        {
            int n = _perPriority.GetValueOrDefault(p);
            _perPriority[p] = n + 1;
            if (n == 0) _priorities.Add(p);
            if (p > MaxPriority) MaxPriority = p;
        }

        /// <summary>Returns true when the highest priority changed.</summary>
        public bool RemovePriority(int p)
        {
            int n = _perPriority[p] - 1;
            if (n > 0) { _perPriority[p] = n; return false; }
            _perPriority.Remove(p);
            _priorities.Remove(p);
            int max = _priorities.Count == 0 ? -1 : _priorities.Max;
            if (max == MaxPriority) return false;
            MaxPriority = max;
            return true;
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
        var st = FindSubtable(flow.Match.Mask);
        if (st is null)
        {
            st = new Subtable(flow.Match.Mask);
            _subtables.Add(st);
            if (!_byMask.TryGetValue(st.MaskHash, out var same)) _byMask[st.MaskHash] = same = new List<Subtable>(1);
            same.Add(st);
        }
        ulong h = st.Hash(flow.Match.Value);
        if (!st.Buckets.TryGetValue(h, out var list)) st.Buckets[h] = list = new List<Flow>(1);
        int at = list.FindIndex(f => f.Priority < flow.Priority);
        list.Insert(at < 0 ? list.Count : at, flow);
        st.Count++;
        int before = st.MaxPriority;
        st.AddPriority(flow.Priority);
        if (st.MaxPriority != before) _unsorted = true;
        Count++;
        return old;
    }

    private Subtable? FindSubtable(in FlowKey mask)
    {
        if (!_byMask.TryGetValue(Subtable.HashOf(mask), out var same)) return null;
        foreach (var st in same) if (st.SameMask(mask)) return st;
        return null;
    }

    public Flow? FindStrict(Match match, int priority)
    {
        var st = FindSubtable(match.Mask);
        if (st is null || !st.Buckets.TryGetValue(st.Hash(match.Value), out var list)) return null;
        return list.Find(f => f.Priority == priority && f.Match.SameAs(match));
    }

    public bool Remove(Flow flow)
    {
        var st = FindSubtable(flow.Match.Mask);
        if (st is null) return false;
        ulong h = st.Hash(flow.Match.Value);
        if (!st.Buckets.TryGetValue(h, out var list) || !list.Remove(flow)) return false;
        if (list.Count == 0) st.Buckets.Remove(h);
        st.Count--; Count--;
        if (st.Count == 0)
        {
            // Left in the probe list (empty, it matches nothing) until the next re-sort drops it.
            _unsorted = true;
            var same = _byMask[st.MaskHash];
            same.Remove(st);
            if (same.Count == 0) _byMask.Remove(st.MaskHash);
        }
        else if (st.RemovePriority(flow.Priority)) _unsorted = true;
        return true;
    }

    private void Resort()
    {
        _subtables.RemoveAll(st => st.Count == 0);
        _subtables.Sort((a, b) => b.MaxPriority.CompareTo(a.MaxPriority));
        _unsorted = false;
    }

    /// <summary>The highest-priority flow matching <paramref name="k"/>, or null (table miss).</summary>
    public Flow? Lookup(in FlowKey k)
    {
        if (_unsorted) Resort();
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
