using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Switch.Contracts;

namespace Switch.Core.Datapath;

/// <summary>Parsing and printing of field values in ovs-ofctl's spellings (value[/mask]).</summary>
public static class FieldValues
{
    public static readonly (string Name, ushort Bit)[] TcpFlagNames =
    {
        ("fin", 0x001), ("syn", 0x002), ("rst", 0x004), ("psh", 0x008), ("ack", 0x010), ("urg", 0x020),
        ("ece", 0x040), ("cwr", 0x080), ("ns", 0x100),
    };

    /// <summary>Parses <paramref name="text"/> for field <paramref name="f"/>; on failure returns the expectation.</summary>
    public static bool TryParse(FieldDef f, string text, out UInt128 value, out UInt128 mask, out string expected)
    {
        value = 0; mask = f.AllOnes; expected = "";
        switch (f.Format)
        {
            case FieldFormat.CtState:
                expected = "ct_state flags like +trk+new-est (new, est, rel, inv, rpl, trk) or a number[/mask]";
                if (text.Length > 0 && text[0] is '+' or '-') return TryFlags(text, CtNames, 0xff, out value, out mask);
                if (text.Length > 0 && char.IsLetter(text[0])) return TryFlags(Plus(text), CtNames, 0xff, out value, out mask) && Exact(f, ref mask);
                return TryNumberMasked(text, f, out value, out mask);
            case FieldFormat.TcpFlags:
                expected = "tcp flags like +syn-ack (fin, syn, rst, psh, ack, urg, ece, cwr, ns) or a number[/mask]";
                if (text.Length > 0 && text[0] is '+' or '-') return TryFlags(text, TcpFlagNames, 0xfff, out value, out mask);
                if (text.Length > 0 && char.IsLetter(text[0])) return TryFlags(Plus(text), TcpFlagNames, 0xfff, out value, out mask) && Exact(f, ref mask);
                return TryNumberMasked(text, f, out value, out mask);
            case FieldFormat.Frag:
                expected = "one of no, yes, first, later, not_later";
                (int fv, int fm) = text switch
                {
                    "no" => (0, 3), "yes" => (1, 1), "first" => (1, 3), "later" => (3, 3), "not_later" => (0, 2),
                    _ => (-1, 0),
                };
                value = (UInt128)Math.Max(fv, 0); mask = (UInt128)fm;
                return fv >= 0;
            case FieldFormat.Port:
                expected = "a port number or LOCAL";
                var port = OfPorts.Parse(text);
                if (port is null) return false;
                value = port.Value;
                return true;
            case FieldFormat.Mac:
                expected = "an Ethernet address xx:xx:xx:xx:xx:xx[/xx:xx:xx:xx:xx:xx]";
                return TrySplit(text, out var mv, out var mm) && TryMac(mv, out value) && (mm is null || TryMac(mm, out mask));
            case FieldFormat.Ipv4:
                expected = "an IPv4 address a.b.c.d[/prefix-length or /netmask]";
                return TryIp(text, AddressFamily.InterNetwork, 32, out value, out mask);
            case FieldFormat.Ipv6:
                expected = "an IPv6 address[/prefix-length or /mask]";
                return TryIp(text, AddressFamily.InterNetworkV6, 128, out value, out mask);
            default:
                expected = f.Bits == 1 ? "0 or 1" : $"a number of at most {f.Bits} bits[/mask]";
                return TryNumberMasked(text, f, out value, out mask);
        }
    }

    private static readonly (string, ushort)[] CtNames = CtStateBits.Names.Select(n => (n.Name, (ushort)n.Bit)).ToArray();

    private static bool TryFlags(string text, (string Name, ushort Bit)[] names, ushort all, out UInt128 value, out UInt128 mask)
    {
        value = 0; mask = 0;
        int i = 0;
        while (i < text.Length)
        {
            char sign = text[i];
            if (sign is not ('+' or '-')) return false;
            int j = i + 1;
            while (j < text.Length && text[j] is not ('+' or '-')) j++;
            var name = text[(i + 1)..j];
            ushort bit = 0;
            foreach (var (n, b) in names) if (n == name) bit = b;
            if (bit == 0 || (mask & bit) != 0) return false;
            mask |= bit;
            if (sign == '+') value |= bit;
            i = j;
        }
        return mask != 0 && (mask & ~(UInt128)all) == 0;
    }

    /// <summary>"syn|ack" (the flags that are set, all others clear) as "+syn+ack".</summary>
    private static string Plus(string names) => "+" + names.Replace("|", "+");

    private static bool Exact(FieldDef f, ref UInt128 mask) { mask = f.AllOnes; return true; }

    private static bool TrySplit(string text, out string v, out string? m)
    {
        int slash = text.IndexOf('/');
        if (slash < 0) { v = text; m = null; return true; }
        v = text[..slash]; m = text[(slash + 1)..];
        return m.Length > 0;
    }

    public static bool TryNumber(string s, out UInt128 v)
    {
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return UInt128.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v) && s.Length > 2;
        return UInt128.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
    }

    private static bool TryNumberMasked(string text, FieldDef f, out UInt128 value, out UInt128 mask)
    {
        mask = f.AllOnes;
        if (!TrySplit(text, out var v, out var m) || !TryNumber(v, out value)) { value = 0; return false; }
        if (m is not null && !TryNumber(m, out mask)) return false;
        return value <= f.AllOnes && mask <= f.AllOnes;
    }

    private static bool TryMac(string s, out UInt128 v)
    {
        v = 0;
        var parts = s.Split(':');
        if (parts.Length != 6) return false;
        foreach (var p in parts)
        {
            if (p.Length is < 1 or > 2 || !byte.TryParse(p, NumberStyles.AllowHexSpecifier, null, out var b)) return false;
            v = (v << 8) | b;
        }
        return true;
    }

    private static bool TryIp(string text, AddressFamily fam, int bits, out UInt128 value, out UInt128 mask)
    {
        value = 0; mask = bits == 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1;
        if (!TrySplit(text, out var a, out var m) || !TryAddr(a, fam, out value)) return false;
        if (m is null) return true;
        if (int.TryParse(m, NumberStyles.None, null, out int plen))
        {
            if (plen > bits) return false;
            mask = plen == 0 ? 0 : (mask >> (bits - plen)) << (bits - plen);
            value &= mask;
            return true;
        }
        if (!TryAddr(m, fam, out mask)) return false;
        value &= mask;
        return true;
    }

    private static bool TryAddr(string s, AddressFamily fam, out UInt128 v)
    {
        v = 0;
        if (!IPAddress.TryParse(s, out var ip) || ip.AddressFamily != fam) return false;
        if (fam == AddressFamily.InterNetwork && s.Count(c => c == '.') != 3) return false;
        var b = ip.GetAddressBytes();
        v = b.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt128BigEndian(b);
        return true;
    }

    public static string Format(FieldDef f, UInt128 value, UInt128 mask)
    {
        bool exact = mask == f.AllOnes;
        switch (f.Format)
        {
            case FieldFormat.CtState when (mask & ~(UInt128)CtStateBits.AllKnown) == 0:
                return FormatFlags(CtNames, (ushort)value, (ushort)mask);
            case FieldFormat.TcpFlags when (mask & ~(UInt128)0x1ff) == 0:
                return FormatFlags(TcpFlagNames, (ushort)value, (ushort)mask);
            case FieldFormat.Frag:
                return ((int)value, (int)mask) switch
                {
                    (0, 3) => "no", (1, 1) => "yes", (1, 3) => "first", (3, 3) => "later", (0, 2) => "not_later",
                    _ => $"0x{value:x}/0x{mask:x}",
                };
            case FieldFormat.Port:
                return OfPorts.Name((uint)value);
            case FieldFormat.Mac:
                return exact ? Mac((ulong)value) : Mac((ulong)value) + "/" + Mac((ulong)mask);
            case FieldFormat.Ipv4:
            case FieldFormat.Ipv6:
            {
                int bits = f.Format == FieldFormat.Ipv4 ? 32 : 128;
                string a = Addr(value, bits);
                if (exact) return a;
                int plen = PrefixLength(mask, bits);
                return plen >= 0 ? $"{a}/{plen}" : $"{a}/{Addr(mask, bits)}";
            }
            case FieldFormat.Decimal:
                return exact ? value.ToString() : $"0x{value:x}/0x{mask:x}";
            default:
                return exact ? $"0x{value:x}" : $"0x{value:x}/0x{mask:x}";
        }
    }

    private static string FormatFlags((string Name, ushort Bit)[] names, ushort value, ushort mask)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var (n, b) in names)
            if ((mask & b) != 0) sb.Append((value & b) != 0 ? '+' : '-').Append(n);
        return sb.ToString();
    }

    public static string Mac(ulong m) =>
        string.Join(':', Enumerable.Range(0, 6).Select(i => ((byte)(m >> (40 - 8 * i))).ToString("x2")));

    public static string Addr(UInt128 v, int bits)
    {
        var b = new byte[bits / 8];
        if (bits == 32) BinaryPrimitives.WriteUInt32BigEndian(b, (uint)v); else BinaryPrimitives.WriteUInt128BigEndian(b, v);
        return new IPAddress(b).ToString();
    }

    private static int PrefixLength(UInt128 mask, int bits)
    {
        int n = 0;
        for (int i = bits - 1; i >= 0 && ((mask >> i) & 1) == 1; i--) n++;
        UInt128 expect = n == 0 ? 0 : ((bits == 128 ? UInt128.MaxValue : (UInt128.One << bits) - 1) >> (bits - n)) << (bits - n);
        return expect == mask ? n : -1;
    }
}
