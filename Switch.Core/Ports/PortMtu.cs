using System.Buffers.Binary;
using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>
/// The MTU check a port applies on output, as the Linux OVS datapath does in ovs_vport_send(): a frame
/// whose L3 packet exceeds the device MTU is dropped and counted, not sent. The datapath is expected to
/// have refragmented before; this is the device's last word.
/// </summary>
internal static class PortMtu
{
    /// <summary>Bytes after the Ethernet header and up to two VLAN tags (the parser's L3 offset).</summary>
    public static int L3Length(ReadOnlySpan<byte> frame)
    {
        int ofs = 12;
        for (int tags = 0; tags < 2 && frame.Length >= ofs + 6; tags++)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[ofs..]);
            if (type is not (EtherTypes.Vlan or EtherTypes.QinQ or EtherTypes.QinQOld)) break;
            ofs += 4;
        }
        return Math.Max(0, frame.Length - ofs - 2);
    }

    public static bool Exceeds(ReadOnlySpan<byte> frame, int mtu) => mtu > 0 && L3Length(frame) > mtu;
}
