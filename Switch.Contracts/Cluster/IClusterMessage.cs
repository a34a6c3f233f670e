namespace Switch.Contracts.Cluster;

/// <summary>
/// Marker for every message that crosses nodes. Serialization binds Hyperion to this interface only, so Akka's
/// own messages keep their protobuf serializers (shared/AKKA-NOTES.md). Addresses and 128-bit values travel as
/// plain numbers or byte arrays, never IPAddress/UInt128.
/// </summary>
public interface IClusterMessage { }
