using System.Runtime.CompilerServices;

namespace Switch.Tests;

/// <summary>The shell an operator runs `dswitch ctl` from: DSWITCH_TOKEN and DSWITCH_CACERT name the test cluster's admin
/// token and CA (global::Switch.Testing.TestPki), for in-process CLI calls and the child processes tests start alike.</summary>
internal static class TestEnvironment
{
    [ModuleInitializer]
    internal static void Init()
    {
        Environment.SetEnvironmentVariable("DSWITCH_TOKEN", global::Switch.Testing.TestPki.AdminToken);
        Environment.SetEnvironmentVariable("DSWITCH_CACERT", global::Switch.Testing.TestPki.CaFile);
    }
}
