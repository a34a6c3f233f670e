namespace Switch.Core.Conntrack;

/// <summary>The address and port an FTP line advertises (struct nf_conntrack_man filled by the helper).</summary>
internal struct FtpCommand
{
    public bool HasAddress;
    public bool IsV6;
    public UInt128 Address;
    public ushort Port;
}
