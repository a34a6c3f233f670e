namespace Switch.Core.Ports;

/// <summary>A capture file to replay as the traffic arriving on switch port <paramref name="Port"/>.</summary>
public sealed record ReplayInput(uint Port, string Path);
