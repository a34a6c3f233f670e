using System.Net;
using System.Net.Sockets;

namespace Switch.Node.Cluster;

public static class Loopback
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago (bound by the OS, then closed): for local members.</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }
}
