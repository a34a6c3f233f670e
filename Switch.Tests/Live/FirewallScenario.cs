using Xunit;

namespace Switch.Tests.Live;

/// <summary>The firewall checks shared by the single-node and two-node topologies: A (10.66.x.1) behind port 1, B (.2) behind port 2.</summary>
public static class FirewallScenario
{
    public static async Task TcpOneMegabyteAtoB(string nsA, string nsB, string ipB) =>
        await Traffic.TcpTransfer(nsA, nsB, ipB, 5001, 1 << 20);

    public static async Task NewConnectionsFromBAreBlocked(string nsA, string nsB, string ipA) =>
        Assert.False(await Traffic.TcpConnects(nsB, nsA, ipA, 5002, TimeSpan.FromSeconds(2)), "B opened a connection to A");

    public static void PingAtoB(string nsA, string ipB)
    {
        var (code, output) = Traffic.Ping(nsA, ipB);
        Assert.True(code == 0, "ping failed: " + output);
    }

    public static async Task FragmentedUdpArrivesWhole(string nsA, string nsB, string ipB)
    {
        var payload = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4000);
        var got = await Traffic.UdpDatagram(nsA, nsB, ipB, 5003, payload);
        Assert.NotNull(got);
        Assert.Equal(payload, got);
    }

    public static void FtpPassiveAndActive(string nsA, string nsB, string ipB)
    {
        var dir = Directory.CreateTempSubdirectory("ds-lv-ftp-").FullName;
        try
        {
            using var ftp = new Ftp(nsB, ipB, dir);
            ftp.Fetch(nsA, ipB, passive: true);
            ftp.Fetch(nsA, ipB, passive: false);
        }
        finally { Directory.Delete(dir, true); }
    }
}
