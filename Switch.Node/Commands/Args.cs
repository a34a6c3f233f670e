namespace Switch.Node.Commands;

/// <summary>Minimal option parsing: --name value (repeatable), --flag, and positionals.</summary>
public sealed class Args
{
    private readonly Dictionary<string, List<string>> _opts = new();
    private readonly HashSet<string> _flags = new();
    public List<string> Positional { get; } = new();

    public Args(string[] args, IEnumerable<string> flags, IEnumerable<string> options)
    {
        var flagSet = flags.ToHashSet();
        var optSet = options.ToHashSet();
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--") || a == "--") { Positional.Add(a); continue; }
            var name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
            if (flagSet.Contains(name)) { _flags.Add(name); continue; }
            if (!optSet.Contains(name)) throw new UsageException($"unknown option --{name}");
            var v = inline ?? (i + 1 < args.Length ? args[++i] : throw new UsageException($"--{name} needs a value"));
            if (!_opts.TryGetValue(name, out var list)) _opts[name] = list = new List<string>();
            list.Add(v);
        }
    }

    public bool Flag(string name) => _flags.Contains(name);
    public string? Get(string name) => _opts.TryGetValue(name, out var l) ? l[^1] : null;
    public IReadOnlyList<string> All(string name) => _opts.TryGetValue(name, out var l) ? l : new List<string>();
}
