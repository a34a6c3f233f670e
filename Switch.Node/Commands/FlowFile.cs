using Switch.Core.Datapath;

namespace Switch.Node.Commands;

/// <summary>A file of ovs-ofctl add-flow lines ('#' comments and blank lines skipped). Errors name file, line and column.</summary>
public static class FlowFile
{
    public static List<Flow> Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"flow file '{path}' not found");
        return Parse(File.ReadAllLines(path), path);
    }

    public static List<Flow> Parse(IEnumerable<string> lines, string name)
    {
        var flows = new List<Flow>();
        int n = 0;
        foreach (var raw in lines)
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int lead = raw.IndexOf(line, StringComparison.Ordinal);
            var (flow, err) = FlowParser.TryParse(line);
            if (err is not null)
                throw new UsageException($"{name}:{n}: column {err.Column + lead}: {err.Message}\n  {raw}\n  {new string(' ', err.Column + lead - 1)}^");
            flows.Add(flow!);
        }
        return flows;
    }
}
