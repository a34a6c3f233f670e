namespace Switch.Contracts.Control;

/// <summary>
/// What the control API can ask of a switch: one implementation per deployment shape (a single node, or the
/// cluster seen through any of its members). Bad input raises <see cref="ControlException"/> with status 400.
/// </summary>
public interface ISwitchControl
{
    Task<FlowModResult> AddFlowsAsync(AddFlowsRequest request, CancellationToken ct = default);
    Task<FlowModResult> ModFlowsAsync(ModFlowsRequest request, CancellationToken ct = default);
    Task<FlowModResult> DelFlowsAsync(DelFlowsRequest request, CancellationToken ct = default);
    /// <summary>Lines as `ovs-ofctl dump-flows` prints them; <paramref name="match"/> selects (e.g. "table=1").</summary>
    Task<IReadOnlyList<string>> DumpFlowsAsync(string? match, CancellationToken ct = default);
    /// <summary>Lines as `ovs-appctl dpctl/dump-conntrack` prints them.</summary>
    Task<IReadOnlyList<string>> DumpConntrackAsync(ushort? zone, CancellationToken ct = default);
    Task<FlushConntrackResult> FlushConntrackAsync(FlushConntrackRequest request, CancellationToken ct = default);
    /// <summary>The text `dswitch trace` prints for the packet description.</summary>
    Task<string> TraceAsync(TraceRequest request, CancellationToken ct = default);
    Task<PacketOutResult> PacketOutAsync(PacketOutRequest request, CancellationToken ct = default);
    Task<ClusterStatus> ClusterAsync(CancellationToken ct = default);
    /// <summary>The answering node's ports with their counters; a control without ports answers none.</summary>
    Task<PortsStatus> PortsAsync(CancellationToken ct = default) => Task.FromResult(new PortsStatus("", Array.Empty<PortStatus>()));
    /// <summary>The status page's picture: members, their counts and counters, the busiest flows. Members that do not
    /// answer are reported as such, never an error.</summary>
    Task<StatusReport> StatusAsync(CancellationToken ct = default) =>
        throw new ControlException(404, "this control has no status report");
}

/// <summary>A control whose conntrack dump can be read as it is produced (the cluster's: member by member, page by page),
/// so the control API streams it instead of holding the whole table.</summary>
public interface IConntrackStream
{
    IAsyncEnumerable<string> StreamConntrackAsync(ushort? zone, CancellationToken ct = default);
}

/// <summary>A control request that cannot be done as asked; <see cref="Status"/> is the HTTP status to answer with.</summary>
public sealed class ControlException : Exception
{
    public int Status { get; }
    public ControlException(int status, string message) : base(message) => Status = status;
}
