namespace Switch.Contracts.Cluster;

/// <summary>
/// How large a message between members may be, and how the senders stay under it. Akka.NET's remoting drops a message
/// larger than its frame (<c>akka.remote.dot-netty.tcp.maximum-frame-size</c>, 128 000 bytes by default) with a log
/// line only, so a sender that does not bound its messages loses them silently. DistSwitch configures the frame as
/// <see cref="FrameBytes"/> and every sender keeps its messages well below it: batches are cut by bytes as well as
/// by count, long lists (flows, dump lines, packet-out frames) travel in parts of at most <see cref="PartBytes"/>, and
/// a frame that cannot travel at all (<see cref="MaxPacketBytes"/>) is dropped where it entered, with a named reason.
/// </summary>
public static class ClusterLimits
{
    /// <summary>The remoting frame size every member is configured with (4 MiB).</summary>
    public const int FrameBytes = 4 << 20;

    /// <summary>What one batch or part carries at most, leaving room for the envelope and serializer overhead.</summary>
    public const int PartBytes = 512 << 10;

    /// <summary>The largest packet a ct query carries to another member; larger ones are dropped on entry.</summary>
    public const int MaxPacketBytes = 1 << 20;

    /// <summary>Drop reason of a packet too large to send to a conntrack entity.</summary>
    public const string PacketTooLarge = "ct_packet_too_large_for_cluster";

    /// <summary>Splits <paramref name="items"/> into parts of at most <see cref="PartBytes"/> (by <paramref name="size"/>)
    /// and at most <paramref name="maxCount"/> items; an item larger than a part travels alone.</summary>
    public static IEnumerable<T[]> Parts<T>(IReadOnlyList<T> items, Func<T, int> size, int maxCount = int.MaxValue)
    {
        var part = new List<T>();
        long bytes = 0;
        foreach (var item in items)
        {
            int n = size(item) + 16;
            if (part.Count > 0 && (bytes + n > PartBytes || part.Count >= maxCount))
            {
                yield return part.ToArray();
                part.Clear();
                bytes = 0;
            }
            part.Add(item);
            bytes += n;
        }
        if (part.Count > 0 || items.Count == 0) yield return part.ToArray();
    }
}
