using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// Replays several capture files as one stream of ingress packets in timestamp order: a k-way merge that
/// holds one record per file, so files of any size stream through. Ties are stable: equal timestamps come
/// in input order, then file order (each file is read in order, so a file's records never overtake each
/// other). Non-Ethernet records are counted and skipped. Each enumeration re-reads the files from the
/// start and resets <see cref="Counters"/>.
/// </summary>
public sealed class ReplaySource : IEnumerable<Packet>
{
    private readonly ReplayInput[] _inputs;
    private readonly ReplayInputCounters[] _counters;

    public ReplaySource(IEnumerable<ReplayInput> inputs)
    {
        _inputs = inputs.ToArray();
        _counters = Array.ConvertAll(_inputs, i => new ReplayInputCounters(i));
    }

    public ReplaySource(params ReplayInput[] inputs) : this((IEnumerable<ReplayInput>)inputs) { }

    public IReadOnlyList<ReplayInput> Inputs => _inputs;
    /// <summary>Per input, in input order.</summary>
    public IReadOnlyList<ReplayInputCounters> Counters => _counters;

    public IEnumerator<Packet> GetEnumerator()
    {
        var readers = new PcapReader?[_inputs.Length];
        try
        {
            // Priority (timestamp, input index): the index breaks ties in input order.
            var heads = new PriorityQueue<(PcapRecord Record, int Input), (long Ts, int Input)>(_inputs.Length);
            for (int i = 0; i < _inputs.Length; i++)
            {
                _counters[i].FramesRead = _counters[i].NonEthernetSkipped = 0;
                readers[i] = new PcapReader(_inputs[i].Path);
                Advance(readers[i]!, i, heads);
            }
            while (heads.TryDequeue(out var head, out _))
            {
                yield return Packet.From(head.Record.Data, _inputs[head.Input].Port, head.Record.TimestampUs);
                Advance(readers[head.Input]!, head.Input, heads);
            }
        }
        finally
        {
            foreach (var r in readers) r?.Dispose();
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Queues input <paramref name="i"/>'s next Ethernet record, if any.</summary>
    private void Advance(PcapReader reader, int i, PriorityQueue<(PcapRecord, int), (long, int)> heads)
    {
        while (reader.Read() is { } r)
        {
            _counters[i].FramesRead++;
            if (!r.IsEthernet) { _counters[i].NonEthernetSkipped++; continue; }
            heads.Enqueue((r, i), (r.TimestampUs, i));
            return;
        }
    }
}
