using System.Globalization;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>A frame written as hex for packet-out: "0x" prefix and ':', '-', '.' or blank separators allowed,
/// as tcpdump -xx, Wireshark "copy as hex" and ovs-ofctl packet-out print it.</summary>
public static class HexFrame
{
    /// <summary>Shortest frame the parser can hold an Ethernet header in; longest a jumbo frame can be.</summary>
    public const int MinBytes = 14, MaxBytes = 65535;

    public static byte[] Parse(string text, string label)
    {
        var s = text.Trim();
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) s = s[2..];
        var digits = new System.Text.StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsAsciiHexDigit(c)) digits.Append(c);
            else if (c is not (':' or '-' or '.' or ' ' or '\t' or '\n' or '\r'))
                throw new ControlException(400, $"{label}: expected hex digits, got '{c}' at character {i + 1}");
        }
        if (digits.Length % 2 != 0) throw new ControlException(400, $"{label}: odd number of hex digits ({digits.Length})");
        var bytes = Convert.FromHexString(digits.ToString());
        if (bytes.Length < MinBytes || bytes.Length > MaxBytes)
            throw new ControlException(400, $"{label}: a frame is {MinBytes}-{MaxBytes} bytes, got {bytes.Length}");
        return bytes;
    }

    public static string Format(ReadOnlySpan<byte> frame) => Convert.ToHexString(frame).ToLower(CultureInfo.InvariantCulture);
}
