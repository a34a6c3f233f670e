using Switch.Core.Packets;

namespace Switch.Core.Ports;

/// <summary>A port that receives frames on a thread of its own (live interface, tunnel) and hands them on.</summary>
public interface IReceivingPort : IPort
{
    /// <summary>Where received frames go; called on the port's thread, one frame at a time.</summary>
    Action<Packet>? Receive { get; set; }
    /// <summary>Frames dropped before the switch saw them: in the kernel or the port's own queue.</summary>
    long KernelDropped { get; }
    /// <summary>Starts receiving; call once <see cref="Receive"/> is set.</summary>
    void Start();
}
