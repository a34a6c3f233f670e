namespace Switch.Core.Conntrack;

/// <summary>The rarely used part of a connection, allocated only for helper (ALG) masters and expected
/// connections so the common entry stays small.</summary>
public sealed class ConnExtras
{
    /// <summary>Master of an expected connection (null when it is not one).</summary>
    public Connection? Master;
    /// <summary>Expectations this master has outstanding, oldest first.</summary>
    public List<Expectation>? Expectations;
    /// <summary>FTP line state of a control connection with the ftp helper.</summary>
    public FtpLineState? Ftp;
}
