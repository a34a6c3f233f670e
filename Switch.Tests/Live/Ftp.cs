using System.Diagnostics;
using Xunit;

namespace Switch.Tests.Live;

/// <summary>An FTP server (python3-pyftpdlib) in one namespace and python3's ftplib as the client in another.</summary>
public sealed class Ftp : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly Process _server;
    private readonly string _dir;

    public Ftp(string ns, string ip, string dir)
    {
        _dir = dir;
        File.WriteAllBytes(Path.Combine(dir, "file.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(300_000));
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", ns, Python, "-m", "pyftpdlib", "-i", ip, "-p", "21", "-d", dir }) psi.ArgumentList.Add(a);
        _server = Process.Start(psi)!;
        _server.BeginOutputReadLine(); _server.BeginErrorReadLine();
    }

    /// <summary>Fetches file.bin passively or actively from the client namespace; its SHA-256 must match.</summary>
    public void Fetch(string clientNs, string serverIp, bool passive)
    {
        var script = $$"""
            import ftplib, hashlib, sys, time
            for i in range(50):
                try:
                    f = ftplib.FTP(); f.connect('{{serverIp}}', 21, timeout=5); break
                except OSError:
                    time.sleep(0.1)
            f.login(); f.set_pasv({{(passive ? "True" : "False")}})
            h = hashlib.sha256(); f.retrbinary('RETR file.bin', h.update); f.quit()
            print(h.hexdigest())
            """;
        var (code, output) = NetNs.In(clientNs, Python, "-c", script);
        Assert.True(code == 0, $"ftp ({(passive ? "passive" : "active")}) failed: {output}");
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(_dir, "file.bin"))));
        Assert.Equal(expected, output.Trim());
    }

    public void Dispose()
    {
        try { _server.Kill(true); _server.WaitForExit(5000); } catch (InvalidOperationException) { }
        _server.Dispose();
    }
}
