using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Switch.Contracts.Cluster;

namespace Switch.Actors.Cluster;

/// <summary>
/// Journal events and snapshots as JSON with a short type manifest: readable in the database, and tolerant of
/// added fields, which Hyperion (beta, type-shape bound) is not. Bound to <see cref="IDurableEvent"/> only.
/// </summary>
public sealed class JsonEventSerializer : SerializerWithStringManifest
{
    private static readonly Dictionary<string, Type> Types = new()
    {
        ["ConnSaved"] = typeof(ConnSaved), ["ConnForgotten"] = typeof(ConnForgotten),
        ["ExpectSaved"] = typeof(ExpectSaved), ["ExpectCleared"] = typeof(ExpectCleared),
        ["FlowSetSaved"] = typeof(FlowSetSaved), ["FlowDeltaSaved"] = typeof(FlowDeltaSaved),
        ["RelayHeld"] = typeof(RelayHeld), ["RelayReleased"] = typeof(RelayReleased), ["RelayHeldSnapshot"] = typeof(RelayHeldSnapshot),
    };

    public JsonEventSerializer(ExtendedActorSystem system) : base(system) { }

    public override int Identifier => 4711;

    public override string Manifest(object o) => o.GetType().Name;

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType());

    public override object FromBinary(byte[] bytes, string manifest) =>
        Types.TryGetValue(manifest, out var t)
            ? JsonSerializer.Deserialize(bytes, t)!
            : throw new System.Runtime.Serialization.SerializationException($"unknown durable event type '{manifest}'");
}
