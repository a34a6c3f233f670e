namespace Switch.Core.Ports;

/// <summary>A copy of one frame sent out of an <see cref="InMemoryPort"/>.</summary>
public sealed record SentFrame(byte[] Data, long TimestampUs);
