using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using Switch.Core.Conntrack;
using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// The optional connection tuple of flush-conntrack, in either of the forms a user has at hand: the OVS
/// dpctl/flush-conntrack fields ("ct_nw_src=10.0.0.1,ct_nw_proto=6,ct_tp_dst=80") or a line as
/// dump-conntrack prints it ("tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=40000,dport=80)"), whose reply=(...)
/// and other fields are ignored because the original direction alone names the connection.
/// </summary>
public static class CtTupleText
{
    public static CtFlushFilter Parse(string text)
    {
        byte? proto = null;
        UInt128? src = null, dst = null;
        ushort? sport = null, dport = null;
        foreach (var (tok, col) in Split(text, 0))
        {
            int eq = tok.IndexOf('=');
            string name = eq < 0 ? tok : tok[..eq], val = eq < 0 ? "" : tok[(eq + 1)..];
            int valCol = col + name.Length + 1;
            switch (name)
            {
                case "tcp" or "tcp6" when eq < 0: proto = IpProtos.Tcp; break;
                case "udp" or "udp6" when eq < 0: proto = IpProtos.Udp; break;
                case "sctp" or "sctp6" when eq < 0: proto = IpProtos.Sctp; break;
                case "icmp" when eq < 0: proto = IpProtos.Icmp; break;
                case "icmpv6" or "icmp6" when eq < 0: proto = IpProtos.Icmpv6; break;
                case "ct_nw_proto": proto = Number<byte>(val, valCol, "an IP protocol number 0-255"); break;
                case "ct_nw_src": src = Address(val, valCol, AddressFamily.InterNetwork); break;
                case "ct_nw_dst": dst = Address(val, valCol, AddressFamily.InterNetwork); break;
                case "ct_ipv6_src": src = Address(val, valCol, AddressFamily.InterNetworkV6); break;
                case "ct_ipv6_dst": dst = Address(val, valCol, AddressFamily.InterNetworkV6); break;
                case "ct_tp_src": sport = Number<ushort>(val, valCol, "a port 0-65535"); break;
                case "ct_tp_dst": dport = Number<ushort>(val, valCol, "a port 0-65535"); break;
                case "reply" when val.StartsWith('('): break;
                case "orig" when val.StartsWith('(') && val.EndsWith(')'):
                    foreach (var (inner, icol) in Split(val[1..^1], valCol))
                    {
                        int ieq = inner.IndexOf('=');
                        string iname = ieq < 0 ? inner : inner[..ieq], ival = ieq < 0 ? "" : inner[(ieq + 1)..];
                        int ivalCol = icol + iname.Length + 1;
                        switch (iname)
                        {
                            case "src": src = Address(ival, ivalCol, null); break;
                            case "dst": dst = Address(ival, ivalCol, null); break;
                            case "sport": sport = Number<ushort>(ival, ivalCol, "a port 0-65535"); break;
                            case "dport": dport = Number<ushort>(ival, ivalCol, "a port 0-65535"); break;
                            // For ICMP the query id plays the source port's part (as in ct_dpif); type and code
                            // follow from it, so they are accepted and not needed.
                            case "id": sport = Number<ushort>(ival, ivalCol, "an ICMP id 0-65535"); break;
                            case "type" or "code": Number<byte>(ival, ivalCol, $"an ICMP {iname} 0-255"); break;
                            default: throw Error(icol, $"expected src=, dst=, sport=, dport= or id= inside orig=(...), got '{inner}'");
                        }
                    }
                    break;
                case "orig": throw Error(valCol, "expected orig=(src=...,dst=...,sport=...,dport=...)");
                default:
                    throw Error(col, "expected a protocol (tcp, udp, sctp, icmp, icmpv6), orig=(...) or one of ct_nw_src, " +
                        $"ct_nw_dst, ct_ipv6_src, ct_ipv6_dst, ct_nw_proto, ct_tp_src, ct_tp_dst, got '{tok}'");
            }
        }
        return new CtFlushFilter(proto, src, dst, sport, dport);
    }

    /// <summary>Comma-separated tokens at parenthesis depth 0, each with its 1-based column in the whole text.</summary>
    private static IEnumerable<(string Token, int Column)> Split(string text, int baseOfs)
    {
        int depth = 0, start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : ',';
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == ',' && depth == 0 || i == text.Length)
            {
                var raw = text[start..i];
                var tok = raw.Trim();
                if (tok.Length > 0) yield return (tok, baseOfs + start + raw.IndexOf(tok, StringComparison.Ordinal) + 1);
                start = i + 1;
            }
        }
        if (depth != 0) throw Error(baseOfs + text.Length, "unbalanced parentheses");
    }

    private static T Number<T>(string val, int col, string expected) where T : IBinaryInteger<T>
    {
        bool hex = val.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (T.TryParse(hex ? val[2..] : val, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            return v;
        throw Error(col, $"expected {expected}, got '{val}'");
    }

    /// <summary>An address in the conntrack key's encoding: IPv4 in the low 32 bits, IPv6 as 128 bits big-endian.</summary>
    private static UInt128 Address(string val, int col, AddressFamily? family)
    {
        // IPAddress.TryParse also takes inet_aton shorthands ("10" is 0.0.0.10, "10.0.0" is 10.0.0.0): in a
        // tuple those are typos, so IPv4 must be dotted quad.
        bool ok = IPAddress.TryParse(val, out var ip)
                  && (ip.AddressFamily == AddressFamily.InterNetworkV6 || ip.AddressFamily == AddressFamily.InterNetwork && val.Count(c => c == '.') == 3)
                  && (family is null || ip.AddressFamily == family);
        if (!ok)
            throw Error(col, $"expected {(family == AddressFamily.InterNetwork ? "an IPv4" : family == AddressFamily.InterNetworkV6 ? "an IPv6" : "an IP")} address, got '{val}'");
        var b = ip!.GetAddressBytes();
        return b.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    private static CtTupleFormatException Error(int col, string message) => new($"tuple: column {col}: {message}");
}

/// <summary>A conntrack tuple that does not parse; the message names the column and what was expected there. The
/// control layer answers it as a bad request.</summary>
public sealed class CtTupleFormatException(string message) : FormatException(message);
