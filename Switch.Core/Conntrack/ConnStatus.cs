namespace Switch.Core.Conntrack;

/// <summary>The subset of the kernel's IPS_* status bits this engine keeps.</summary>
[Flags]
public enum ConnStatus : byte
{
    None = 0,
    /// <summary>Committed (IPS_CONFIRMED): stored in the table.</summary>
    Confirmed = 0x01,
    /// <summary>A reply-direction packet has been seen (IPS_SEEN_REPLY): original packets become +est.</summary>
    SeenReply = 0x02,
    /// <summary>IPS_ASSURED: exempt from early drop.</summary>
    Assured = 0x04,
    /// <summary>Created from an expectation (IPS_EXPECTED): +rel for its whole life.</summary>
    Expected = 0x08,
    /// <summary>Removed from the table (expired, flushed, evicted, killed).</summary>
    Dying = 0x10,
}
