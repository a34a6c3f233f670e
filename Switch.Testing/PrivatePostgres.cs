using System.Diagnostics;

namespace Switch.Testing;

/// <summary>
/// A throw-away PostgreSQL server for the failover tests and `journal-load`: initdb in a temp folder, pg_ctl start on a
/// free loopback port, as the postgres user when run as root (the server refuses to run as root), stopped and removed
/// on Dispose. Needs Debian's postgresql package (.ci/run installs it). DSWITCH_TEST_PG, when set, names an existing
/// server instead (nothing is started or removed then).
/// </summary>
public sealed class PrivatePostgres : IDisposable
{
    public string ConnectionString { get; }
    private readonly string? _dir, _bin;

    private PrivatePostgres(string cs, string? dir, string? bin) { ConnectionString = cs; _dir = dir; _bin = bin; }

    /// <summary>The newest PostgreSQL binaries under /usr/lib/postgresql/*/bin, or null.</summary>
    public static string? FindBin() => Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
        : null;

    /// <summary>A server (fsync off unless asked: tests measure behaviour, not disks), or the one DSWITCH_TEST_PG names.</summary>
    public static PrivatePostgres Start(bool fsync = false)
    {
        var external = Environment.GetEnvironmentVariable("DSWITCH_TEST_PG");
        if (!string.IsNullOrEmpty(external)) return new PrivatePostgres(external, null, null);
        return TryStart(fsync) ?? throw new InvalidOperationException("PostgreSQL is not installed: apt-get install postgresql (or set DSWITCH_TEST_PG)");
    }

    /// <summary>A server with fsync as given; null when no PostgreSQL binaries are installed.</summary>
    public static PrivatePostgres? TryStart(bool fsync)
    {
        var bin = FindBin();
        if (bin is null) return null;
        var dir = Path.Combine("/tmp", "dswitch-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        if (Root) Run("chown", "postgres", dir);
        int port = Switch.Node.Cluster.Loopback.FreePort();
        var data = Path.Combine(dir, "data");
        As(Path.Combine(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres");
        As(Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(dir, "log"), "-w", "-o",
            $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync={(fsync ? "on" : "off")}", "start");
        return new PrivatePostgres($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true", dir, bin);
    }

    private static bool Root => Environment.UserName == "root";

    private static void As(string exe, params string[] args)
    {
        if (Root) Run("runuser", new[] { "-u", "postgres", "--", exe }.Concat(args).ToArray());
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
        if (_dir is null || _bin is null) return;
        try { As(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop"); }
        catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
