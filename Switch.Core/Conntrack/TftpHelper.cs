using System.Buffers.Binary;
using Switch.Core.Packets;

namespace Switch.Core.Conntrack;

/// <summary>
/// The tftp ALG (nf_conntrack_tftp.c): a read (1) or write (2) request expects the server's answer from any
/// port to the client's port: server:any -> client:sport, UDP, same zone.
/// </summary>
internal static class TftpHelper
{
    public const ushort ReadRequest = 1, WriteRequest = 2;

    public static string? Process(ConntrackEngine engine, Connection c, ReadOnlySpan<byte> udpPayload)
    {
        if (udpPayload.Length < 2) return null;
        ushort op = BinaryPrimitives.ReadUInt16BigEndian(udpPayload);
        if (op is not (ReadRequest or WriteRequest)) return null;
        var reply = c.Reply;
        var key = new ExpectKey(c.Zone, IpProtos.Udp, c.Key.IsV6, reply.Src, reply.Dst, reply.DstPort);
        return engine.AddExpectation(c, key, CtAlg.Tftp) ? null : CtDropReasons.ExpectTableFull;
    }
}
