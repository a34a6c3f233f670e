using Xunit;

namespace Switch.Tests.Deploy;

/// <summary>A test that runs the real <c>kubectl kustomize</c> (offline, no cluster needed). Skipped where kubectl is not
/// installed; the kustomization is still resolved in code by <see cref="ManifestTests"/>, which is the check CI relies on.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (Kubectl.Path is null) Skip = "kubectl is not installed (the in-code kustomization check still runs)";
    }
}

public static class Kubectl
{
    /// <summary>kubectl on PATH, or null.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => System.IO.Path.Combine(d, OperatingSystem.IsWindows() ? "kubectl.exe" : "kubectl"))
        .FirstOrDefault(File.Exists);

    /// <summary>Runs kubectl with <paramref name="args"/>; returns its standard output, or fails the test with its error.</summary>
    public static string Run(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"kubectl {string.Join(' ', args)} did not finish within 60 s");
        }
        if (p.ExitCode != 0) throw new Xunit.Sdk.XunitException($"kubectl {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }
}
