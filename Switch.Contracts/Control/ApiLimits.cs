namespace Switch.Contracts.Control;

/// <summary>What one control API request may carry; more is answered 413 with a one-line message (nothing applied).</summary>
public static class ApiLimits
{
    /// <summary>A request body: about 300 000 flows of typical length.</summary>
    public const long BodyBytes = 32L * 1024 * 1024;
    /// <summary>Flows in one add-flows request (one all-or-nothing change; a larger table goes in several).</summary>
    public const int FlowsPerRequest = 200_000;
    /// <summary>Frames in one packet-out request.</summary>
    public const int PacketOutFrames = 4096;
    /// <summary>One packet-out frame (as the cluster carries: <see cref="Cluster.ClusterLimits.MaxPacketBytes"/>).</summary>
    public const int PacketOutFrameBytes = Cluster.ClusterLimits.MaxPacketBytes;
}
