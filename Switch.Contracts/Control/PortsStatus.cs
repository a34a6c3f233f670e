namespace Switch.Contracts.Control;

/// <summary>The answer of GET /ports: the answering node's ports, by number.</summary>
public sealed record PortsStatus(string Node, IReadOnlyList<PortStatus> Ports);
