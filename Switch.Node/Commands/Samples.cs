namespace Switch.Node.Commands;

/// <summary>Finds the bundled samples: next to the binary (copied at build), else the repository's samples/.</summary>
public static class Samples
{
    public static string Directory()
    {
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "samples"),
            Path.Combine(System.IO.Directory.GetCurrentDirectory(), "samples"),
            Path.Combine(System.IO.Directory.GetCurrentDirectory(), "..", "samples"),
        };
        foreach (var c in candidates)
            if (File.Exists(Path.Combine(c, "flows", "firewall.flows"))) return Path.GetFullPath(c);
        throw new UsageException("bundled samples not found (run `dswitch generate-samples --out samples` in the repository)");
    }
}
