using BenchmarkDotNet.Running;

namespace Switch.Bench;

public static class Program
{
    /// <summary>BenchmarkDotNet suites (pick with --filter), or `load` for the replay load generator table.</summary>
    public static int Main(string[] args)
    {
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
