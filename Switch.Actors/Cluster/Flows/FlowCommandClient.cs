using Akka.Actor;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// Sends a flow change to the flow manager and waits for its answer. A change of many lines (100 000 flows in one
/// add-flows) travels in parts of at most <see cref="ClusterLimits.PartBytes"/>, all from one sender so they arrive in
/// order; the manager acts on the last.
/// </summary>
public static class FlowCommandClient
{
    public static async Task<FlowCommandResult> SendAsync(ActorSystem system, IActorRef manager, FlowCommand cmd, TimeSpan timeout,
        CancellationToken ct = default)
    {
        var parts = ClusterLimits.Parts(cmd.Lines, l => l.Length).ToList();
        if (parts.Count <= 1) return await manager.Ask<FlowCommandResult>(cmd, timeout, ct);
        long request = Random.Shared.NextInt64(1, long.MaxValue);
        var inbox = Inbox.Create(system);
        try
        {
            for (int i = 0; i < parts.Count; i++)
                manager.Tell(cmd with { Lines = parts[i], Request = request, More = i < parts.Count - 1 }, inbox.Receiver);
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) throw new AskTimeoutException($"the flow manager did not answer within {timeout.TotalSeconds:0} s");
                try
                {
                    if (await inbox.ReceiveAsync(left) is FlowCommandResult r) return r;
                }
                catch (TimeoutException) { throw new AskTimeoutException($"the flow manager did not answer within {timeout.TotalSeconds:0} s"); }
            }
        }
        finally { inbox.Dispose(); }
    }
}
