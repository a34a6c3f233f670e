namespace Switch.Contracts.Cluster;

/// <summary>packet-out: frames enter the node's table 0 as if received on <see cref="InPort"/>.</summary>
public sealed record InjectFrames(uint InPort, byte[][] Frames) : IClusterMessage;

public sealed record InjectedFrame(int Index, byte CtState, ushort CtZone, uint CtMark, uint[] Outputs, string? Drop) : IClusterMessage;

public sealed record InjectFramesReply(string Node, InjectedFrame[] Frames) : IClusterMessage;

/// <summary>Asks a node for what `dswitch ctl cluster` shows of it.</summary>
public sealed record GetNodeInfo() : IClusterMessage;

public sealed record NodeInfo(string Name, string ApiUrl, int Shards, int Entities) : IClusterMessage;
