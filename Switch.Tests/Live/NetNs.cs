using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Switch.Tests.Live;

/// <summary>
/// Network namespaces and veth pairs for the live tests. Every name starts with <see cref="Prefix"/> (namespaces)
/// or <see cref="LinkPrefix"/> (links in the root namespace), so leftovers of a crashed run can be found and removed.
/// </summary>
public static partial class NetNs
{
    public const string Prefix = "ds-lv";
    public const string LinkPrefix = "dslv";

    public static bool IsRoot => geteuid() == 0;

    [LibraryImport("libc")] private static partial uint geteuid();
    [LibraryImport("libc", SetLastError = true)] private static partial int setns(int fd, int nstype);
    private const int CloneNewNet = 0x40000000;

    /// <summary>Runs a command, returns (exit code, stdout+stderr).</summary>
    public static (int Code, string Output) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); return (-1, "timeout: " + file + " " + string.Join(' ', args)); }
        return (p.ExitCode, o.Result + e.Result);
    }

    /// <summary>Runs a command and fails the test with its output when it fails.</summary>
    public static string Must(string file, params string[] args)
    {
        var (code, output) = Run(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} -> {code}: {output}");
        return output;
    }

    public static string Ip(params string[] args) => Must("ip", args);
    public static (int Code, string Output) In(string ns, params string[] cmd) => Run("ip", ["netns", "exec", ns, .. cmd]);

    /// <summary>Removes every namespace and root link of ours a previous run left behind.</summary>
    public static void CleanupLeftovers() => CleanupLeftovers(Prefix, LinkPrefix);

    /// <summary>Removes the namespaces starting with <paramref name="nsPrefix"/> and the root-namespace links starting with
    /// <paramref name="linkPrefix"/> (for tests that keep their own names apart from the live tests').</summary>
    public static void CleanupLeftovers(string nsPrefix, string linkPrefix)
    {
        foreach (var line in Run("ip", "netns", "list").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(nsPrefix, StringComparison.Ordinal)) Run("ip", "netns", "del", name);
        }
        foreach (var line in Run("ip", "-o", "link", "show").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length < 2) continue;
            var name = parts[1].Trim().Split('@')[0];
            if (name.StartsWith(linkPrefix, StringComparison.Ordinal)) Run("ip", "link", "del", name);
        }
    }

    /// <summary>A namespace holding "eth0" at <paramref name="cidr"/>, linked by a veth pair to <paramref name="rootEnd"/>
    /// in the root namespace, or in <paramref name="switchNs"/> when given (up, no address, IPv6 off). Offloads are off
    /// on both ends: a frame captured by libpcap must be a real wire frame (no partial checksum, no GSO super-frame) to
    /// be re-injected.</summary>
    public static void Host(string ns, string rootEnd, string cidr, int mtu = 1500, string? switchNs = null)
    {
        Ip("netns", "add", ns);
        Ip("link", "add", rootEnd, "type", "veth", "peer", "name", rootEnd + "p");
        Ip("link", "set", rootEnd + "p", "netns", ns);
        Ip("-n", ns, "link", "set", rootEnd + "p", "name", "eth0");
        if (switchNs is not null) Ip("link", "set", rootEnd, "netns", switchNs);
        string[] sw = switchNs is null ? [] : ["-n", switchNs];
        if (switchNs is null) File.WriteAllText($"/proc/sys/net/ipv6/conf/{rootEnd}/disable_ipv6", "1");
        else In(switchNs, "sysctl", "-qw", $"net.ipv6.conf.{rootEnd}.disable_ipv6=1");
        In(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
        In(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
        Ip("-n", ns, "link", "set", "eth0", "mtu", mtu.ToString());
        Ip([.. sw, "link", "set", rootEnd, "mtu", mtu.ToString()]);
        Ip("-n", ns, "addr", "add", cidr, "dev", "eth0");
        Ip("-n", ns, "link", "set", "lo", "up");
        Ip("-n", ns, "link", "set", "eth0", "up");
        Ip([.. sw, "link", "set", rootEnd, "up"]);
        In(ns, "ethtool", "-K", "eth0", "tx", "off", "tso", "off", "gso", "off", "gro", "off");
        string[] ethtool = ["ethtool", "-K", rootEnd, "tx", "off", "tso", "off", "gso", "off", "gro", "off"];
        if (switchNs is null) Run(ethtool[0], ethtool[1..]); else In(switchNs, ethtool);
    }

    /// <summary>Two empty namespaces (loopback up, IPv6 off) joined by a veth pair: <paramref name="link1"/> at
    /// <paramref name="cidr1"/> in <paramref name="ns1"/>, <paramref name="link2"/> at <paramref name="cidr2"/> in
    /// <paramref name="ns2"/>, offloads off.</summary>
    public static void Pair(string ns1, string link1, string cidr1, string ns2, string link2, string cidr2)
    {
        foreach (var ns in new[] { ns1, ns2 })
        {
            Ip("netns", "add", ns);
            In(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1");
            In(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
            Ip("-n", ns, "link", "set", "lo", "up");
        }
        Ip("-n", ns1, "link", "add", link1, "type", "veth", "peer", "name", link2, "netns", ns2);
        foreach (var (ns, link, cidr) in new[] { (ns1, link1, cidr1), (ns2, link2, cidr2) })
        {
            Ip("-n", ns, "addr", "add", cidr, "dev", link);
            Ip("-n", ns, "link", "set", link, "up");
            In(ns, "ethtool", "-K", link, "tx", "off", "tso", "off", "gso", "off", "gro", "off");
        }
    }

    /// <summary>Runs <paramref name="f"/> on a thread that entered <paramref name="ns"/>: sockets it creates live there
    /// (a socket keeps the namespace it was created in) and can be used from any thread afterwards.</summary>
    public static T Inside<T>(string ns, Func<T> f)
    {
        T result = default!;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                using var fd = File.OpenHandle($"/var/run/netns/{ns}");
                if (setns((int)fd.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns {ns}: errno {Marshal.GetLastPInvokeError()}");
                result = f();
            }
            catch (Exception e) { error = e; }
        });
        t.Start();
        t.Join();
        if (error is not null) throw new InvalidOperationException("in " + ns + ": " + error.Message, error);
        return result;
    }
}
