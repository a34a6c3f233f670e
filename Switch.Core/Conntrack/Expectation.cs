namespace Switch.Core.Conntrack;

/// <summary>A connection a helper told conntrack to expect (struct nf_conntrack_expect): the first packet
/// matching <see cref="Key"/> becomes +new+rel with <see cref="Master"/> as its master.</summary>
public sealed class Expectation
{
    public readonly ExpectKey Key;
    public readonly Connection Master;
    public readonly CtAlg Helper;
    public readonly long CreatedUs;
    public long ExpiresUs;
    public bool Removed;

    public Expectation(in ExpectKey key, Connection master, CtAlg helper, long nowUs, long expiresUs)
    {
        Key = key; Master = master; Helper = helper; CreatedUs = nowUs; ExpiresUs = expiresUs;
    }

    /// <summary>One line of dpctl/dump-conntrack-exp: the expected tuple (source port 0) and the parent's tuple.</summary>
    public string Format()
    {
        var t = new CtTuple(Key.IsV6, Key.Proto, Key.Src, Key.Dst, 0, Key.DstPort);
        return $"{ConnDump.ProtoName(Key.Proto)},orig=({t.Format()}),parent=({Master.Original.Format()})"
            + (Key.Zone != 0 ? $",zone={Key.Zone}" : "");
    }
}
