namespace Switch.Core.Conntrack;

/// <summary>
/// tcp_conntracks[dir][index][state] of nf_conntrack_proto_tcp.c, written out from the reference table.
/// Values beyond SynSent2 are <see cref="Invalid"/> (sIV) and <see cref="Ignore"/> (sIG).
/// </summary>
internal static class TcpStateTable
{
    public const byte Invalid = 10, Ignore = 11;
    private const byte NO = 0, SS = 1, SR = 2, ES = 3, FW = 4, CW = 5, LA = 6, TW = 7, CL = 8, S2 = 9, IV = Invalid, IG = Ignore;

    //                                         NO  SS  SR  ES  FW  CW  LA  TW  CL  S2
    private static readonly byte[][] Original =
    {
        /* syn    */ new byte[] { SS, SS, IG, IG, IG, IG, IG, SS, SS, S2 },
        /* synack */ new byte[] { IV, IV, SR, IV, IV, IV, IV, IV, IV, SR },
        /* fin    */ new byte[] { IV, IV, FW, FW, LA, LA, LA, TW, CL, IV },
        /* ack    */ new byte[] { ES, IV, ES, ES, CW, CW, TW, TW, CL, IV },
        /* rst    */ new byte[] { IV, CL, CL, CL, CL, CL, CL, CL, CL, CL },
        /* none   */ new byte[] { IV, IV, IV, IV, IV, IV, IV, IV, IV, IV },
    };

    private static readonly byte[][] Reply =
    {
        /* syn    */ new byte[] { IV, S2, IV, IV, IV, IV, IV, SS, IV, S2 },
        /* synack */ new byte[] { IV, SR, IG, IG, IG, IG, IG, IG, IG, SR },
        /* fin    */ new byte[] { IV, IV, FW, FW, LA, LA, LA, TW, CL, IV },
        /* ack    */ new byte[] { IV, IG, SR, ES, CW, CW, TW, TW, CL, IG },
        /* rst    */ new byte[] { IV, CL, CL, CL, CL, CL, CL, CL, CL, CL },
        /* none   */ new byte[] { IV, IV, IV, IV, IV, IV, IV, IV, IV, IV },
    };

    public static byte Next(int dir, TcpIndex index, TcpState state) =>
        (dir == 0 ? Original : Reply)[(int)index][(int)state];
}
