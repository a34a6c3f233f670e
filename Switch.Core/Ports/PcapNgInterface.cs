namespace Switch.Core.Ports;

/// <summary>What a pcapng Interface Description Block says about the packets captured on it.</summary>
/// <param name="UnitsPerSecond">Timestamp resolution from if_tsresol (10^6 when absent).</param>
/// <param name="OffsetSeconds">if_tsoffset: seconds to add to every timestamp (0 when absent).</param>
internal readonly record struct PcapNgInterface(ushort LinkType, uint SnapLen, ulong UnitsPerSecond, long OffsetSeconds)
{
    /// <summary>Converts a raw 64-bit pcapng timestamp to microseconds since the epoch; null when it does not fit a long.</summary>
    public long? ToMicroseconds(ulong ticks)
    {
        // 128-bit product: nanosecond ticks times 10^6 overflows 64 bits.
        UInt128 us = (UInt128)ticks * 1_000_000 / UnitsPerSecond;
        Int128 total = (Int128)us + (Int128)OffsetSeconds * 1_000_000;
        return total > long.MaxValue || total < long.MinValue ? null : (long)total;
    }
}
