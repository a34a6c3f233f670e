namespace Switch.Core.Conntrack;

internal enum FragResult : byte
{
    /// <summary>The fragment is held (stolen) until its datagram completes.</summary>
    Held,
    /// <summary>The fragment completed its datagram, which is returned.</summary>
    Complete,
    /// <summary>The fragment was dropped (and possibly its whole datagram); the reason is returned.</summary>
    Dropped,
}
