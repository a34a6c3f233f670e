namespace Switch.Core.Ports;

/// <summary>tcpdump.org LINKTYPE_* values the switch cares about. Only Ethernet frames are switched;
/// the others are counted and skipped by the replay.</summary>
public static class LinkTypes
{
    public const ushort Ethernet = 1;
    public const ushort Raw = 101;
    public const ushort LinuxSll = 113;
}
