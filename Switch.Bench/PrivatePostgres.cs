using System.Diagnostics;

namespace Switch.Bench;

/// <summary>
/// A throw-away PostgreSQL server for `journal-load`, made the way the failover tests make theirs: initdb in a
/// temp folder and pg_ctl start on a free loopback port, both as the postgres user when run as root (the server
/// refuses to run as root). Null when no PostgreSQL binaries are installed under /usr/lib/postgresql/*/bin.
/// </summary>
public sealed class PrivatePostgres : IDisposable
{
    public string ConnectionString { get; }
    private readonly string _dir, _bin;

    private PrivatePostgres(string cs, string dir, string bin) { ConnectionString = cs; _dir = dir; _bin = bin; }

    public static string? FindBin() => Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
        : null;

    /// <summary>Starts a server with the durability settings of a default install (fsync on) unless
    /// <paramref name="fsync"/> is false.</summary>
    public static PrivatePostgres? TryStart(bool fsync)
    {
        var bin = FindBin();
        if (bin is null) return null;
        var dir = Path.Combine(Path.GetTempPath(), "dswitch-bench-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        bool root = Environment.UserName == "root";
        if (root) Run("chown", "postgres", dir);
        int port = ClusterLoad.FreePort();
        var data = Path.Combine(dir, "data");
        As(root, Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres");
        As(root, Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(dir, "log"), "-w", "-o",
            $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync={(fsync ? "on" : "off")}", "start");
        return new PrivatePostgres($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true", dir, bin);
    }

    private static void As(bool root, string exe, params string[] args)
    {
        if (root) Run("runuser", new[] { "-u", "postgres", "--", exe }.Concat(args).ToArray());
        else Run(exe, args);
    }

    private static void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit(60_000);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed: {err.Result}");
    }

    public void Dispose()
    {
        try { As(Environment.UserName == "root", Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop"); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
