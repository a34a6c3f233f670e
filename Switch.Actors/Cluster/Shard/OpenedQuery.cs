using Switch.Contracts.Cluster;
using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Actors.Cluster;

/// <summary>
/// A query whose frame this node has parsed: the packet and key its entity tracks, and the expectation key a new
/// connection would match, all from one parse. The shard's relay opens a query once and hands the opened form to the
/// entity (same shard, same node: this never crosses the wire), so a frame is parsed once on the entity's node.
/// <see cref="Packet"/> is null when the frame does not parse (answered as malformed).
/// </summary>
public sealed class OpenedQuery
{
    private OpenedQuery(CtQuery query, Packet? packet, in FlowKey key, ExpectKey? expect)
    {
        Query = query; Packet = packet; Key = key; Expect = expect;
    }

    public CtQuery Query { get; }
    public Packet? Packet { get; }
    public FlowKey Key { get; }
    /// <summary>The expectation key the packet would match as a new TCP/UDP connection (the key <c>TrackNew</c> looks up).</summary>
    public ExpectKey? Expect { get; }

    public string EntityId => Query.EntityId;

    public static OpenedQuery Open(CtQuery q)
    {
        if (!CtWire.TryOpen(q, out var packet, out var key)) return new OpenedQuery(q, null, default, null);
        ExpectKey? expect = ConntrackEngine.ExpectKeyOf(packet.Span, in key, q.Request.Zone, out var ek) ? ek : null;
        return new OpenedQuery(q, packet, in key, expect);
    }
}
