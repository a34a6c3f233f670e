using Akka.Actor;
using Akka.Cluster.Sharding;
using Switch.Core.Conntrack;
using Switch.Contracts;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// What a member answers about its own share of the conntrack table, computed where the state is: counts, flushes and
/// dumps, with the filters applied here. Nothing that grows with the table crosses the network in one message: counts
/// are numbers, a flush answers how many it removed, and a dump streams pages that the asker acknowledges one by one.
/// Each runs as a task on the member (local asks to its own shard region), never inside the datapath actor.
/// </summary>
public static class MemberConntrack
{
    private static readonly TimeSpan LocalAsk = TimeSpan.FromSeconds(30);
    private const int InFlight = 256;

    /// <summary>The connection entities this member hosts: running ones (region state) and parked ones (directory).</summary>
    private static async Task<(HashSet<string> Running, ShardDirectory Dir, CurrentShardRegionState State)> Hosted(ActorSystem system, IActorRef region)
    {
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, LocalAsk);
        var running = state.Shards.SelectMany(s => s.EntityIds)
            .Where(id => id.StartsWith(CtRouting.ConnectionPrefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        return (running, ShardDirectory.Get(system), state);
    }

    public static async Task<MemberCounts> CountAsync(ActorSystem system, IActorRef region, int shards)
    {
        var (running, dir, state) = await Hosted(system, region);
        var all = new HashSet<string>(running, StringComparer.Ordinal);
        all.UnionWith(dir.HeldIds());
        int expectations = 0, reassembly = 0;
        foreach (var id in state.Shards.SelectMany(s => s.EntityIds))
        {
            if (id.StartsWith(ExpectWire.Prefix, StringComparison.Ordinal)) expectations++;
            else if (id.StartsWith(CtRouting.FragmentPrefix, StringComparison.Ordinal)) reassembly++;
        }
        int shardCount = all.Select(id => CtRouting.ShardId(id, shards)).Distinct().Count();
        if (Replication.Get(system).Store is not { } store) return new MemberCounts(all.Count, shardCount, expectations, reassembly, dir.Refused);
        var r = await store.Ask<ReplicationStatus>(GetReplicationStatus.Instance, LocalAsk);
        return new MemberCounts(all.Count, shardCount, expectations, reassembly, dir.Refused, r.SyncedShards, r.ReplicaRecords, r.CopiesPending, r.Placement);
    }

    public static async Task<FlushEntityReply> FlushAsync(ActorSystem system, IActorRef region, FlushMemberConntrack f)
    {
        var (running, dir, _) = await Hosted(system, region);
        running.UnionWith(dir.HeldIds());
        int removed = 0;
        foreach (var chunk in running.Chunk(InFlight))
        {
            var replies = await Task.WhenAll(chunk.Select(id => region.Ask<FlushEntityReply>(new FlushEntity(id, f.Zone, f.Tuple), LocalAsk)));
            removed += replies.Sum(r => r.Removed);
        }
        return new FlushEntityReply(removed);
    }

    /// <summary>Streams this member's dump to <paramref name="to"/>: parked connections from their images (no
    /// entity started), then running entities, asked at most <see cref="InFlight"/> at a time.</summary>
    public static async Task DumpAsync(ActorSystem system, IActorRef region, IActorRef to, DumpMemberConntrack d, IClock clock,
        ConntrackSettings settings)
    {
        var inbox = Inbox.Create(system);
        string ackTo = Akka.Serialization.Serialization.SerializedActorPath(inbox.Receiver);
        var page = new List<string>();
        long bytes = 0;
        async Task Send(bool more, string? error = null)
        {
            to.Tell(new ConntrackPage(d.Request, page.ToArray(), more, ackTo, error), inbox.Receiver);
            page.Clear();
            bytes = 0;
            if (!more) return;
            // Flow control: one page out at a time. An asker that went away stops the dump.
            if (await inbox.ReceiveAsync(LocalAsk) is not ConntrackPageAck) throw new TimeoutException("the asker stopped reading");
        }
        async Task Add(string line)
        {
            page.Add(line);
            bytes += line.Length + 16;
            if (bytes >= ClusterLimits.PartBytes) await Send(true);
        }
        try
        {
            var (running, dir, _) = await Hosted(system, region);
            var format = new ConntrackEngine(clock, settings);
            var done = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (id, parked) in dir.ParkedEntries())
            {
                done.Add(id);
                if (d.Zone is ushort z && parked.Image.Zone != z) continue;
                if (format.FormatImage(parked.Image) is { } line) await Add(line);
            }
            foreach (var chunk in running.Where(id => !done.Contains(id)).Chunk(InFlight))
            {
                var replies = await Task.WhenAll(chunk.Select(id => region.Ask<DumpEntityReply>(new DumpEntity(id, d.Zone), LocalAsk)));
                foreach (var r in replies)
                    foreach (var line in r.Lines) await Add(line);
            }
            await Send(false);
        }
        catch (Exception e)
        {
            try { await Send(false, $"{e.GetType().Name}: {e.Message}"); } catch (Exception) { }
        }
        finally { inbox.Dispose(); }
    }
}
