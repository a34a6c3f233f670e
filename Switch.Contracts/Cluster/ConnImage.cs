using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switch.Contracts.Cluster;

/// <summary>
/// One connection's state in one compact record, the only shape it has outside an engine: lease grants, reports and
/// returns carry it, the journal saves it (<see cref="Durable"/>: without the tracker), a parked entity keeps it in
/// the shard directory. Ten words (key, who opened it, status, helper, TCP state class, mark, label, created,
/// deadline), then for TCP nine words of tracker (windows, last-packet memory), so a connection moves between the
/// entity and a lease holder without re-learning windows. Switch.Actors.Cluster.ConnImages converts it to and from
/// an engine's connection; nothing else reads the words.
/// </summary>
[JsonConverter(typeof(ConnImageJson))]
public sealed record ConnImage(ulong[] W) : IClusterMessage
{
    public const int RecordWords = 10, TrackerWords = 9;

    public static ConnImage Of(ushort zone, byte proto, bool isV6, UInt128 addrA, UInt128 addrB, ushort portA, ushort portB,
        bool origIsA, byte status, byte helper, byte tcpState, uint mark, UInt128 label, long createdUs, long expiresUs,
        ulong[]? tracker = null)
    {
        var w = new ulong[RecordWords + (tracker is null ? 0 : TrackerWords)];
        w[0] = zone | (ulong)proto << 16 | (ulong)portA << 24 | (ulong)portB << 40 | (isV6 ? 1UL << 56 : 0) | (origIsA ? 1UL << 57 : 0);
        w[1] = status | (ulong)helper << 8 | (ulong)tcpState << 16 | (ulong)mark << 32;
        w[2] = (ulong)(addrA >> 64); w[3] = (ulong)addrA; w[4] = (ulong)(addrB >> 64); w[5] = (ulong)addrB;
        w[6] = (ulong)(label >> 64); w[7] = (ulong)label;
        w[8] = (ulong)createdUs; w[9] = (ulong)expiresUs;
        tracker?.CopyTo(w, RecordWords);
        return new ConnImage(w);
    }

    public ushort Zone => (ushort)W[0];
    public byte Proto => (byte)(W[0] >> 16);
    public ushort PortA => (ushort)(W[0] >> 24);
    public ushort PortB => (ushort)(W[0] >> 40);
    public bool IsV6 => (W[0] >> 56 & 1) != 0;
    public bool OrigIsA => (W[0] >> 57 & 1) != 0;
    public byte Status => (byte)W[1];
    public byte Helper => (byte)(W[1] >> 8);
    public byte TcpState => (byte)(W[1] >> 16);
    public uint Mark => (uint)(W[1] >> 32);
    public UInt128 AddrA => new(W[2], W[3]);
    public UInt128 AddrB => new(W[4], W[5]);
    public UInt128 Label => new(W[6], W[7]);
    public long CreatedUs => (long)W[8];
    public long ExpiresUs => (long)W[9];
    /// <summary>The TCP tracker's words (empty when the image has none).</summary>
    public ReadOnlySpan<ulong> Tracker() => W.Length == RecordWords + TrackerWords ? W.AsSpan(RecordWords) : default;

    /// <summary>What the journal keeps: the record without the tracker (a restored connection re-learns its windows,
    /// as Linux picks up a connection met mid-stream).</summary>
    public ConnImage Durable() => W.Length == RecordWords ? this : new ConnImage(W[..RecordWords]);

    /// <summary>The same connection with another deadline.</summary>
    public ConnImage WithExpiresUs(long expiresUs)
    {
        var w = (ulong[])W.Clone();
        w[9] = (ulong)expiresUs;
        return new ConnImage(w);
    }

    /// <summary>The same journaled class: status, TCP state class, helper, mark, label and direction (everything the
    /// journal must hear of, apart from the deadline).</summary>
    public bool SameClass(ConnImage o) => W[1] == o.W[1] && W[6] == o.W[6] && W[7] == o.W[7] && OrigIsA == o.OrigIsA;

    public bool Equals(ConnImage? o) => o is not null && W.AsSpan().SequenceEqual(o.W);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var w in W) h.Add(w);
        return h.ToHashCode();
    }
}

/// <summary>A connection image in JSON (the journal): its words as one array. Reads the older object form
/// (one named field per record member, written before the record was packed) as well.</summary>
public sealed class ConnImageJson : JsonConverter<ConnImage>
{
    public override ConnImage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
            return new ConnImage(JsonSerializer.Deserialize<ulong[]>(ref reader, options) ?? throw new JsonException("connection image: no words"));
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("connection image: expected an array of words");
        using var doc = JsonDocument.ParseValue(ref reader);
        var o = doc.RootElement;
        if (o.TryGetProperty("W", out var words)) return new ConnImage(words.Deserialize<ulong[]>(options)!);
        ulong U(string n) => o.GetProperty(n).GetUInt64();
        return ConnImage.Of((ushort)U("Zone"), (byte)U("Proto"), o.GetProperty("IsV6").GetBoolean(), new UInt128(U("AHi"), U("ALo")),
            new UInt128(U("BHi"), U("BLo")), (ushort)U("PortA"), (ushort)U("PortB"), o.GetProperty("OrigIsA").GetBoolean(),
            (byte)U("Status"), (byte)U("Helper"), (byte)U("TcpState"), (uint)U("Mark"), new UInt128(U("LabelHi"), U("LabelLo")),
            o.GetProperty("CreatedUs").GetInt64(), o.GetProperty("ExpiresUs").GetInt64());
    }

    public override void Write(Utf8JsonWriter writer, ConnImage value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var w in value.W) writer.WriteNumberValue(w);
        writer.WriteEndArray();
    }
}
