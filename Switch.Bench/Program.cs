using BenchmarkDotNet.Running;

namespace Switch.Bench;

public static class Program
{
    /// <summary>BenchmarkDotNet suites (pick with --filter), `cluster-load` for the cluster conntrack load table, or
    /// `journal-load` for the journal and durability-cost table, `scale` for flow replication and dumps at size, `fast-path` for connection leases against the
    /// one-entity-call-per-packet cluster and the in-process engine.</summary>
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "cluster-load") return ClusterLoad.Run(args[1..]);
        if (args.Length > 0 && args[0] == "fast-path") return ClusterLoad.RunFastPath(args[1..]);
        if (args.Length > 0 && args[0] == "journal-load") return JournalLoad.Run(args[1..]);
        if (args.Length > 0 && args[0] == "scale") return ScaleBench.Run(args[1..]);
        if (args.Length > 0 && args[0] == "replicas") return ReplicaLoad.Run(args[1..]);
        if (args.Length > 0 && args[0] == "ddata-compare") return ReplicationCompare.Run(args[1..]);
        if (args.Length > 0 && args[0] == "failover") return FailoverBench.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
