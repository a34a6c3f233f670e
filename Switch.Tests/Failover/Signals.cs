using System.Runtime.InteropServices;

namespace Switch.Tests.Failover;

internal static partial class Signals
{
    /// <summary>SIGTERM, what a service manager or Kubernetes sends for a graceful stop.</summary>
    public static int Term(int pid) => Kill(pid, 15);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
