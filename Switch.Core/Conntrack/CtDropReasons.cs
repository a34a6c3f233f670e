namespace Switch.Core.Conntrack;

/// <summary>Names of every drop the engine makes (counted in <see cref="ConntrackCounters.Drops"/>).</summary>
public static class CtDropReasons
{
    /// <summary>Global limit reached and no unassured entry to early-drop ("nf_conntrack: table full").</summary>
    public const string TableFull = "ct_table_full";
    /// <summary>OVS per-zone limit ("zone: N exceeds conntrack limit").</summary>
    public const string ZoneLimit = "ct_zone_limit";
    /// <summary>nf_conntrack_expect_max reached while a helper expected a connection.</summary>
    public const string ExpectTableFull = "ct_expect_table_full";
    /// <summary>An FTP command whose prefix matched but whose arguments did not parse (kernel drops it).</summary>
    public const string FtpMalformed = "ftp_malformed_command";
    /// <summary>A fragment overlapping held data: the whole datagram is discarded (RFC 5722).</summary>
    public const string FragOverlap = "frag_overlap";
    /// <summary>An exact or contained duplicate fragment (dropped; the queue is kept).</summary>
    public const string FragDuplicate = "frag_duplicate";
    /// <summary>More fragments than the per-datagram limit: the datagram is discarded.</summary>
    public const string FragTooMany = "frag_too_many";
    /// <summary>Reassembled length above 65535, or data beyond the last fragment's end.</summary>
    public const string FragTooBig = "frag_too_big";
    /// <summary>Inconsistent fragment (empty, unaligned non-last, conflicting last): the datagram is discarded.</summary>
    public const string FragInvalid = "frag_invalid";
    /// <summary>Fragment memory above the high threshold: the fragment is refused.</summary>
    public const string FragMemory = "frag_memory_limit";
    /// <summary>Too many datagrams in reassembly: a fragment starting a new one is refused.</summary>
    public const string FragQueueLimit = "frag_queue_limit";
    /// <summary>Fragments of a datagram not completed within the reassembly timeout (counted per fragment).</summary>
    public const string FragTimeout = "frag_timeout";
    /// <summary>The reassembled datagram did not parse.</summary>
    public const string FragReassembledBad = "frag_reassembled_unparsable";
}
