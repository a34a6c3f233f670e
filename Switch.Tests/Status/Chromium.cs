using System.Diagnostics;

namespace Switch.Tests.Status;

/// <summary>The system's headless Chromium (Debian's <c>chromium</c> package), as a person's browser: it loads the page,
/// runs its scripts for a while of virtual time, then gives the DOM it rendered or a screenshot of it.</summary>
public static class Chromium
{
    private static string Binary =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("headless Chromium not found: apt-get install chromium");

    private static async Task<string> RunAsync(IEnumerable<string> args, TimeSpan limit)
    {
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--hide-scrollbars", "--user-data-dir=" + Directory.CreateTempSubdirectory("dswitch-chromium-").FullName,
                     // The cluster's member certificate, pinned by its key (as an operator adds the cluster CA to a browser).
                     "--ignore-certificate-errors-spki-list=" + global::Switch.Testing.TestPki.MemberSpkiSha256 }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within {limit.TotalSeconds:0} s: {await stderr}");
        }
        if (p.ExitCode != 0) throw new InvalidOperationException($"chromium exited {p.ExitCode}: {await stderr}");
        return await stdout;
    }

    /// <summary>The page's DOM after its scripts ran for <paramref name="budgetMs"/> ms of virtual time.</summary>
    public static Task<string> DumpDomAsync(string url, int budgetMs = 5000) =>
        RunAsync(new[] { $"--virtual-time-budget={budgetMs}", "--dump-dom", url }, TimeSpan.FromSeconds(60));

    /// <summary>A PNG of the page as a 1400×900 window shows it.</summary>
    public static async Task ScreenshotAsync(string url, string png, int budgetMs = 5000)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(png)!);
        await RunAsync(new[] { $"--virtual-time-budget={budgetMs}", "--window-size=1400,900", "--screenshot=" + png, url }, TimeSpan.FromSeconds(60));
        if (!File.Exists(png)) throw new InvalidOperationException($"chromium wrote no screenshot at {png}");
    }
}
