using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Switch.Actors.Cluster;
using Switch.Contracts.Cluster;
using Switch.Core.Ports;
using Switch.Node.Cluster;
using Switch.Node.Security;
using Switch.Tests.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace Switch.Tests.Security;

/// <summary>A test-only message type: nothing of Switch.Tests is on the wire allow-list.</summary>
public sealed record ForeignPayload(object Value) : Switch.Contracts.Cluster.IClusterMessage;

/// <summary>Remoting as the secured default runs it: mutual TLS with the cluster's CA, and only DistSwitch's own types
/// deserialized. Outsiders are real ActorSystems and raw sockets.</summary>
[Trait("Category", Tiers.Cluster)]
[Collection("cluster")]
public class ClusterSecurityTests(ITestOutputHelper output)
{
    private static int Up(ClusterNode n) => n.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up);

    /// <summary>A member with another CA's certificate, as an operator who copied the wrong secret would start it: the
    /// node's own actor system set-up, the cluster's seed. Akka.Remote (1.5.7x) runs coordinated shutdown (exit code 79)
    /// on a client-side TLS handshake failure, so it may stop at any moment; the test holds only the system.</summary>
    private static ActorSystem Outsider(NodeSecurity security, string seed) =>
        ActorSystem.Create(ClusterNodeOptions.SystemName, ClusterNode.Setup(new ClusterNodeOptions
        {
            Name = "rogue", Port = Loopback.FreePort(), Seeds = new[] { seed }, Security = security, StableAfter = TimeSpan.FromSeconds(3),
        }));

    [Fact]
    public async Task A_member_with_another_CAs_certificate_cannot_join_or_reach_an_actor()
    {
        await using var c = await TestCluster.StartAsync(2);
        int seedPort = c.Nodes[0].Cluster.SelfAddress.Port!.Value;
        var seed = LocalCluster.SeedAddress(seedPort);
        // Another CA: its certificate is well-formed, for TLS, for 127.0.0.1 — and not the cluster's. The worst case
        // trusts the cluster's CA itself (it knows the public bundle), so only the members' check can stop it.
        var (other, _, _) = NodeSecurity.Ephemeral();
        var rogueSecurity = other with { Credentials = other.Credentials with { Trust = c.Nodes[0].Options.Security.Credentials.Trust } };
        var rogue = Outsider(rogueSecurity, seed);
        try
        {
            // It tries to join for the whole window; the members never list it, it never sees itself Up.
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(12);
            while (DateTime.UtcNow < until)
            {
                Assert.Equal(2, c.Nodes[0].Cluster.State.Members.Count);
                Assert.Equal(2, c.Nodes[1].Cluster.State.Members.Count);
                if (!rogue.WhenTerminated.IsCompleted)
                    Assert.DoesNotContain(Akka.Cluster.Cluster.Get(rogue).State.Members, m => m.Status == MemberStatus.Up);
                await Task.Delay(500);
            }
            output.WriteLine($"rogue after 12 s: {(rogue.WhenTerminated.IsCompleted ? "stopped itself (TLS handshake refused)" : "still trying")}");
            // Nor can its certificate carry a byte to an actor: the member ends the TLS session that certificate is
            // presented in before any remoting frame is read (the client side of the handshake may finish under
            // TLS 1.3; the refusal then arrives as an alert or a close on the first read).
            Assert.False(await TlsSessionCarries(seedPort, other.Credentials.Certificate));
            // The control: the cluster's own certificate is carried, so the check above can fail.
            Assert.True(await TlsSessionCarries(seedPort, c.Nodes[1].Options.Security.Credentials.Certificate));
        }
        finally
        {
            await rogue.Terminate();
        }
        // The cluster is untouched and still answers its own.
        var info = await c.Nodes[1].System.ActorSelection(new RootActorPath(c.Nodes[0].Cluster.SelfAddress) / "user" / DatapathActor.Name)
            .Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(10));
        Assert.Equal("n1", info.Name);
        Assert.Equal(2, Up(c.Nodes[0]));
    }

    /// <summary>Whether a TLS session to the member's remoting port with <paramref name="cert"/> stays open to carry
    /// data: handshake, then wait up to 3 s for the member to end it (it ends a refused one at once).</summary>
    private static async Task<bool> TlsSessionCarries(int port, System.Security.Cryptography.X509Certificates.X509Certificate2 cert)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
        try
        {
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = new System.Security.Cryptography.X509Certificates.X509CertificateCollection { cert },
            });
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            int n = await tls.ReadAsync(new byte[1024], cts.Token);
            return n > 0; // a close reads 0
        }
        catch (OperationCanceledException) { return true; } // still open after 3 s: the session was accepted
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException) { return false; }
    }

    [Fact]
    public async Task Plain_bytes_at_the_remoting_port_are_dropped_and_the_member_stays_up()
    {
        await using var c = await TestCluster.StartAsync(2);
        int port = c.Nodes[0].Cluster.SelfAddress.Port!.Value;
        // Not TLS: what a plain akka.tcp peer or a port scanner writes. The member closes the connection.
        foreach (var bytes in new[] { "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), new byte[] { 0, 0, 0, 40, 10, 38, 8, 1, 18 }, new byte[4096] })
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", port);
            var s = tcp.GetStream();
            await s.WriteAsync(bytes);
            var buf = new byte[1024];
            int n;
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                n = await s.ReadAsync(buf, cts.Token);
                while (n > 0) n = await s.ReadAsync(buf, cts.Token); // a TLS alert at most, then the close
            }
            catch (IOException) { n = 0; }
            Assert.Equal(0, n);
        }
        Assert.Equal(2, Up(c.Nodes[0]));
        Assert.Equal(2, Up(c.Nodes[1]));
        var info = await c.Nodes[1].System.ActorSelection(new RootActorPath(c.Nodes[0].Cluster.SelfAddress) / "user" / DatapathActor.Name)
            .Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(10));
        Assert.Equal("n1", info.Name);
    }

    [Fact]
    public async Task A_payload_naming_a_type_off_the_allow_list_is_refused_and_the_member_stays_up()
    {
        await using var c = await TestCluster.StartAsync(2);
        var target = c.Nodes[1].System.ActorSelection(new RootActorPath(c.Nodes[0].Cluster.SelfAddress) / "user" / DatapathActor.Name);
        // From a trusted member (the worst case: a compromised one): a message whose types Hyperion would otherwise
        // load and build. The receiver refuses the payload before it loads a type; nothing reaches the actor.
        target.Tell(new ForeignPayload(new DirectoryInfo("/")));
        target.Tell(new ForeignPayload(42));
        var info = await target.Ask<NodeInfo>(new GetNodeInfo(), TimeSpan.FromSeconds(10));
        Assert.Equal("n1", info.Name);
        Assert.Equal(2, Up(c.Nodes[0]));
        output.WriteLine("after two refused payloads the member still answers and both are Up");
    }

    [Theory]
    [InlineData("Switch.Contracts.Cluster.CtQuery, Switch.Contracts", true)]
    [InlineData("Switch.Contracts.Cluster.CtQuery[], Switch.Contracts", true)]
    [InlineData("System.Collections.Generic.List`1[[Switch.Contracts.Cluster.CtQuery, Switch.Contracts]], System.Private.CoreLib", true)]
    [InlineData("System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[Switch.Contracts.Cluster.NodeInfo, Switch.Contracts]], System.Private.CoreLib", true)]
    [InlineData("Switch.Contracts.Cluster.CtQuery, Switch.Contracts, Version=1.0.0.0, Culture=neutral, PublicKeyToken=null", true)]
    [InlineData("Akka.Actor.ActorRefBase+Surrogate, Akka", true)]
    [InlineData("System.String, System.Private.CoreLib", true)]
    [InlineData("System.Byte[][], System.Private.CoreLib,%core%", true)]
    [InlineData("System.IO.FileInfo, System.Private.CoreLib,%core%", false)]
    [InlineData("System.IO.DirectoryInfo, System.Private.CoreLib", false)]
    [InlineData("System.Diagnostics.Process, System.Diagnostics.Process", false)]
    [InlineData("System.Collections.Generic.List`1[[System.Diagnostics.Process, System.Diagnostics.Process]], System.Private.CoreLib", false)]
    [InlineData("System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.IO.FileInfo, System.Private.CoreLib]], System.Private.CoreLib", false)]
    [InlineData("Switch.Tests.Security.ForeignPayload, Switch.Tests", false)]
    [InlineData("Switch.Contracts.Cluster.CtQuery, Evil.Assembly", false)]
    [InlineData("Evil.Type, Switch.Contracts", false)]
    [InlineData("Akka.Actor.ActorSystemImpl, Akka", false)]
    [InlineData("System.Collections.Generic.List`1[[Switch.Contracts.Cluster.CtQuery, Switch.Contracts]", false)]
    public void The_wire_allow_list_checks_every_type_a_name_mentions(string typeName, bool allowed) =>
        Assert.Equal(allowed, WireTypes.IsAllowed(typeName));
}
