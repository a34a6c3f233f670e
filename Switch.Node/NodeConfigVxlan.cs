namespace Switch.Node;

/// <summary>A VXLAN port: where it listens, its VNI, and the remote VTEPs output floods to (IP or IP:PORT, port 4789 by default).</summary>
public sealed record NodeConfigVxlan
{
    public string Local { get; init; } = "0.0.0.0:4789";
    public uint Vni { get; init; }
    public List<string> Remotes { get; init; } = new();
}
