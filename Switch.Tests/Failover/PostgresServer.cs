using System.Diagnostics;

namespace Switch.Tests.Failover;

/// <summary>
/// A private PostgreSQL server for the failover tests: initdb in a temp folder, started on a free loopback port
/// as the postgres user (the server refuses to run as root), stopped and removed at the end. Needs Debian's
/// postgresql package (.ci/run installs it). DSWITCH_TEST_PG, when set, names an existing server instead.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public string ConnectionString { get; }
    private readonly string? _dir;
    private readonly string? _bin;

    private PostgresServer(string cs, string? dir, string? bin) { ConnectionString = cs; _dir = dir; _bin = bin; }

    public static PostgresServer Start()
    {
        var external = Environment.GetEnvironmentVariable("DSWITCH_TEST_PG");
        if (!string.IsNullOrEmpty(external)) return new PostgresServer(external, null, null);
        var bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb"))) : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL is not installed: apt-get install postgresql (or set DSWITCH_TEST_PG)");
        var dir = Path.Combine("/tmp", "dswitch-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        Run("chown", "postgres", dir);
        int port = Cluster.TestCluster.FreePort();
        RunAs(Path.Combine(bin, "initdb"), "-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres");
        RunAs(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "-o",
            $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off", "start");
        return new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true", dir, bin);
    }

    private static void RunAs(string exe, params string[] args) => Run("runuser", new[] { "-u", "postgres", "--", exe }.Concat(args).ToArray());

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
        try { RunAs(Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop"); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
