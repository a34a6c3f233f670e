namespace Switch.Contracts.Cluster;

// Expectations (FTP/TFTP data connections) in the cluster: the master's entity copies each expectation to an
// entity keyed by what is known in advance (zone, protocol, addresses, expected destination port), and a new
// connection's entity consults that key once, so the data connection is +rel whichever node it enters.

/// <summary>One expectation and the part of its master the expected connection inherits. 128-bit values as halves.</summary>
public sealed record ExpectData(ushort Zone, byte Proto, bool IsV6, ulong SrcHi, ulong SrcLo, ulong DstHi, ulong DstLo, ushort DstPort,
    byte Helper, string MasterEntity, bool MasterIsV6, byte MasterProto, ulong MasterAHi, ulong MasterALo, ulong MasterBHi, ulong MasterBLo,
    ushort MasterPortA, ushort MasterPortB, bool MasterOrigIsA, uint Mark, ulong LabelHi, ulong LabelLo, long ExpiresUs) : IClusterMessage;

public sealed record ExpectRegister(string EntityId, ExpectData Data) : IClusterMessage;

public sealed record ExpectRegistered(string EntityId) : IClusterMessage;

public sealed record ExpectLookup(string EntityId) : IClusterMessage;

/// <summary>The expectation, or null when none is outstanding.</summary>
public sealed record ExpectFound(string EntityId, ExpectData? Data) : IClusterMessage;

/// <summary>The master withdrew it (teardown, expiry, replaced) or the expected connection committed.</summary>
public sealed record ExpectRemove(string EntityId, bool Used) : IClusterMessage;

/// <summary>Tells the master's entity that its expectation was used by a committed connection elsewhere.</summary>
public sealed record ExpectUsed(string EntityId, ExpectData Data) : IClusterMessage;

// Every node keeps an index of the expectation keys outstanding anywhere in the cluster, so a new connection's entity
// consults the expectation entity only when one may exist (not once per new connection).

/// <summary>An expectation entity now holds <see cref="Id"/> until <see cref="ExpiresUs"/>; answered with <see cref="IndexAdded"/>.</summary>
public sealed record IndexAdd(string Id, long ExpiresUs) : IClusterMessage;

public sealed record IndexAdded(string Id) : IClusterMessage;

/// <summary>The expectation <see cref="Id"/> is gone (used, withdrawn, expired).</summary>
public sealed record IndexRemove(string Id) : IClusterMessage;

/// <summary>A joining node asks a member for its whole index.</summary>
public sealed record IndexSnapshotRequest() : IClusterMessage;

public sealed record IndexSnapshot(string[] Ids, long[] ExpiresUs) : IClusterMessage;
