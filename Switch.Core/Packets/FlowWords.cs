using System.Runtime.CompilerServices;

namespace Switch.Core.Packets;

/// <summary>The match fields of a packet packed into fixed 64-bit words, so masks, hashing and
/// comparison are word-wise (the classifier's tuple-space search works on these words).</summary>
[InlineArray(FlowKey.Words)]
public struct FlowWords
{
    private ulong _w0;
}
