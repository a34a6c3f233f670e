using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Switch.Core.Conntrack;

/// <summary>
/// Parsers of nf_conntrack_ftp.c over one complete line (CR/LF removed): PORT and EPRT from the client,
/// 227 and 229 replies from the server. Each returns 1 (parsed), 0 (not this command) or -1 (prefix matched
/// but the rest does not parse: the kernel drops such a packet).
/// </summary>
internal static class FtpParser
{
    public static int Parse(ReadOnlySpan<byte> line, int dir, bool connIsV6, out FtpCommand cmd)
    {
        cmd = default;
        if (dir == 0)
        {
            if (StartsWith(line, "PORT"u8)) return connIsV6 ? 0 : Rfc959(AfterSkip(line, 4, (byte)' '), 0, ref cmd);
            if (StartsWith(line, "EPRT"u8)) return Eprt(AfterSkip(line, 4, (byte)' '), connIsV6, ref cmd);
            return 0;
        }
        if (StartsWith(line, "227 "u8)) return connIsV6 ? 0 : Rfc959(AfterSkip(line, 4, (byte)'('), (byte)')', ref cmd);
        if (StartsWith(line, "229 "u8)) return Epsv(AfterSkip(line, 4, (byte)'('), ref cmd);
        return 0;
    }

    private static bool StartsWith(ReadOnlySpan<byte> line, ReadOnlySpan<byte> prefix)
    {
        if (line.Length < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++)
            if ((line[i] | 0x20) != (prefix[i] | 0x20)) return false;
        return true;
    }

    /// <summary>The text after the first <paramref name="skip"/> at or after <paramref name="from"/>; empty when
    /// there is none (which the number parsers then reject).</summary>
    private static ReadOnlySpan<byte> AfterSkip(ReadOnlySpan<byte> line, int from, byte skip)
    {
        int i = line[from..].IndexOf(skip);
        return i < 0 ? ReadOnlySpan<byte>.Empty : line[(from + i + 1)..];
    }

    /// <summary>try_number: <paramref name="count"/> decimal numbers separated by <paramref name="sep"/>, ending
    /// at <paramref name="term"/> (0: end of line). Returns the characters used, 0 on failure.</summary>
    private static int Numbers(ReadOnlySpan<byte> s, Span<uint> values, byte sep, byte term)
    {
        values.Clear();
        int i = 0, n = 0;
        bool digit = false;
        for (; i < s.Length; i++)
        {
            byte ch = s[i];
            if (ch >= '0' && ch <= '9')
            {
                values[n] = values[n] * 10 + (uint)(ch - '0');
                if (values[n] > 255) return 0;
                digit = true;
            }
            else if (ch == sep)
            {
                if (!digit || ++n >= values.Length) return 0;
                digit = false;
            }
            else return ch == term && n == values.Length - 1 && digit ? i : 0;
        }
        return term == 0 && n == values.Length - 1 && digit ? i : 0;
    }

    private static int Rfc959(ReadOnlySpan<byte> s, byte term, ref FtpCommand cmd)
    {
        Span<uint> v = stackalloc uint[6];
        if (Numbers(s, v, (byte)',', term) == 0) return -1;
        cmd.HasAddress = true;
        cmd.Address = (v[0] << 24) | (v[1] << 16) | (v[2] << 8) | v[3];
        cmd.Port = (ushort)((v[4] << 8) | v[5]);
        return 1;
    }

    private static bool IsDelimiter(byte d) => d is >= 33 and <= 126 && !(d >= '0' && d <= '9');

    /// <summary>get_port: digits up to the delimiter; port 0 is rejected.</summary>
    private static bool Port(ReadOnlySpan<byte> s, byte delim, out ushort port)
    {
        port = 0;
        uint p = 0;
        for (int i = 0; i < s.Length; i++)
        {
            byte ch = s[i];
            if (ch == delim) { port = (ushort)p; return p != 0; }
            if (ch < '0' || ch > '9') return false;
            p = p * 10 + (uint)(ch - '0');
            if (p > 65535) return false;
        }
        return false;
    }

    /// <summary>EPRT &lt;d&gt;af&lt;d&gt;addr&lt;d&gt;port&lt;d&gt; (RFC 2428); af must match the connection's family.</summary>
    private static int Eprt(ReadOnlySpan<byte> s, bool connIsV6, ref FtpCommand cmd)
    {
        if (s.Length <= 3) return -1;
        byte d = s[0];
        if (!IsDelimiter(d) || s[2] != d) return -1;
        if (s[1] != (connIsV6 ? (byte)'2' : (byte)'1')) return -1;
        var rest = s[3..];
        int end = rest.IndexOf(d);
        if (end <= 0) return -1;
        var text = System.Text.Encoding.ASCII.GetString(rest[..end]);
        if (!IPAddress.TryParse(text, out var ip)) return -1;
        if (ip.AddressFamily != (connIsV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork)) return -1;
        if (!connIsV6 && text.Split('.').Length != 4) return -1;
        Span<byte> b = stackalloc byte[16];
        ip.TryWriteBytes(b, out int n);
        cmd.Address = n == 16 ? BinaryPrimitives.ReadUInt128BigEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
        cmd.IsV6 = connIsV6;
        cmd.HasAddress = true;
        return Port(rest[(end + 1)..], d, out cmd.Port) ? 1 : -1;
    }

    /// <summary>229 ... (&lt;d&gt;&lt;d&gt;&lt;d&gt;port&lt;d&gt;): no address, the server's own is meant.</summary>
    private static int Epsv(ReadOnlySpan<byte> s, ref FtpCommand cmd)
    {
        if (s.Length <= 3) return -1;
        byte d = s[0];
        if (!IsDelimiter(d) || s[1] != d || s[2] != d) return -1;
        return Port(s[3..], d, out cmd.Port) ? 1 : -1;
    }
}
