using BenchmarkDotNet.Running;

namespace Switch.Bench;

public static class Program
{
    /// <summary>BenchmarkDotNet suites (pick with --filter), or `cluster-load` for the cluster conntrack load table.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "cluster-load") return ClusterLoad.Run(args[1..]);
        if (args.Length > 0 && args[0] == "fast-path") return ClusterLoad.RunFastPath(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
