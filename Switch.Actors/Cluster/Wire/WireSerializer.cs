using Akka.Actor;
using Akka.Serialization;
using Hyperion;

namespace Switch.Actors.Cluster;

/// <summary>
/// Hyperion for DistSwitch's cluster messages, deserializing only the types this project puts on the wire: its own
/// (Switch.Contracts, Switch.Actors, Switch.Core), a fixed list of .NET values and collections, and the surrogates Akka
/// writes for actor references. Any other type named in a payload is refused before it is loaded (the message is
/// dropped and logged by remoting; the member stays up), on top of Hyperion's deny-list of dangerous types.
/// </summary>
public sealed class WireSerializer : HyperionSerializer
{
    public WireSerializer(ExtendedActorSystem system) : base(system, FilteredSettings(system)) { }

    private static HyperionSerializerSettings FilteredSettings(ExtendedActorSystem system)
    {
        const string path = "akka.actor.serialization-settings.hyperion";
        var d = system.Settings.Config.HasPath(path) ? HyperionSerializerSettings.Create(system.Settings.Config.GetConfig(path)) : HyperionSerializerSettings.Default;
        return new HyperionSerializerSettings(d.PreserveObjectReferences, d.VersionTolerance, d.KnownTypesProvider,
            d.PackageNameOverrides, d.Surrogates, disallowUnsafeType: true, typeFilter: WireTypes.Filter);
    }
}

/// <summary>The allow-list <see cref="WireSerializer"/> applies to every type name a payload carries.</summary>
public static class WireTypes
{
    public static readonly ITypeFilter Filter = new AllowList();

    private sealed class AllowList : ITypeFilter
    {
        public bool IsAllowed(string typeName) => WireTypes.IsAllowed(typeName);
    }

    /// <summary>Hyperion's stand-in for the core library's name, so .NET Framework and .NET peers agree.</summary>
    private const string CoreToken = "%core%";

    private static readonly HashSet<string> OwnAssemblies = new(StringComparer.Ordinal) { "Switch.Contracts", "Switch.Actors", "Switch.Core" };

    private static readonly HashSet<string> SystemTypes = new(StringComparer.Ordinal)
    {
        "System.Boolean", "System.Byte", "System.SByte", "System.Char", "System.Int16", "System.UInt16", "System.Int32",
        "System.UInt32", "System.Int64", "System.UInt64", "System.Single", "System.Double", "System.Decimal", "System.String",
        "System.DateTime", "System.DateTimeOffset", "System.TimeSpan", "System.Guid", "System.Object",
        "System.Nullable`1", "System.Tuple`2", "System.Tuple`3", "System.ValueTuple`2", "System.ValueTuple`3", "System.ValueTuple`4",
        "System.Collections.Generic.List`1", "System.Collections.Generic.Dictionary`2", "System.Collections.Generic.HashSet`1",
        "System.Collections.Generic.KeyValuePair`2", "System.Collections.Generic.Queue`1", "System.Collections.Generic.SortedDictionary`2",
        "System.Collections.Generic.GenericEqualityComparer`1", "System.Collections.Generic.ObjectEqualityComparer`1",
        "System.Collections.Generic.NonRandomizedStringEqualityComparer+OrdinalComparer",
        "System.Collections.Generic.NonRandomizedStringEqualityComparer+OrdinalIgnoreCaseComparer",
        "System.Collections.Immutable.ImmutableArray`1", "System.Collections.Immutable.ImmutableList`1",
        "System.Collections.Immutable.ImmutableDictionary`2", "System.Collections.Immutable.ImmutableHashSet`1",
    };

    /// <summary>What Akka's Hyperion surrogates name for an actor reference or path inside a message.</summary>
    private static readonly HashSet<string> AkkaTypes = new(StringComparer.Ordinal)
    {
        "Akka.Actor.ActorRefBase+Surrogate", "Akka.Actor.ActorPath+Surrogate", "Akka.Actor.Address", "Akka.Actor.Address+AddressSurrogate",
        "Akka.Util.ISurrogate", "Akka.Actor.Nobody+NobodySurrogate",
    };

    /// <summary>True when every type <paramref name="typeName"/> mentions (the type, its generic arguments, element
    /// types of arrays) is allowed. Names are Hyperion's short assembly-qualified form,
    /// <c>System.Collections.Generic.List`1[[Switch.Contracts.Cluster.CtQuery, Switch.Contracts]], System.Private.CoreLib</c>.</summary>
    public static bool IsAllowed(string typeName)
    {
        int pos = 0;
        return Parse(typeName, ref pos) && pos == typeName.Length;
    }

    // name := ident ('[' '[' name ']' (',' '[' name ']')* ']')? ('[]')* (',' assembly)?
    private static bool Parse(string s, ref int pos)
    {
        int start = pos;
        while (pos < s.Length && s[pos] is not ('[' or ']' or ',')) pos++;
        string ident = s[start..pos].Trim();
        if (ident.Length == 0) return false;
        if (pos < s.Length && s[pos] == '[' && pos + 1 < s.Length && s[pos + 1] == '[')
        {
            pos++;
            while (true)
            {
                if (pos >= s.Length || s[pos] != '[') return false;
                pos++;
                if (!Parse(s, ref pos)) return false;
                if (pos >= s.Length || s[pos] != ']') return false;
                pos++;
                if (pos < s.Length && s[pos] == ',') { pos++; continue; }
                break;
            }
            if (pos >= s.Length || s[pos] != ']') return false;
            pos++;
        }
        while (pos + 1 < s.Length && s[pos] == '[' && s[pos + 1] == ']') pos += 2;
        string assembly = "";
        if (pos < s.Length && s[pos] == ',')
        {
            int a = ++pos;
            while (pos < s.Length && s[pos] is not (']' or ',')) pos++;
            assembly = s[a..pos].Trim();
            if (assembly == CoreToken) assembly = "System.Private.CoreLib";
            // Version, Culture, PublicKeyToken of a long-form name, and Hyperion's %core% marker: skipped, the
            // assembly's name decides.
            while (pos < s.Length && s[pos] == ',')
            {
                int end = pos + 1;
                while (end < s.Length && s[end] is not (']' or ',')) end++;
                var part = s.AsSpan(pos + 1, end - pos - 1).Trim();
                if (part.IndexOf('=') < 0 && !part.SequenceEqual(CoreToken)) break;
                pos = end;
            }
        }
        return Allowed(ident, assembly);
    }

    private static bool Allowed(string ident, string assembly)
    {
        if (OwnAssemblies.Contains(assembly)) return ident.StartsWith("Switch.", StringComparison.Ordinal);
        if (assembly is "" or "System.Private.CoreLib" or "mscorlib" or "System.Collections" or "System.Collections.Immutable" or "System.Runtime")
            return SystemTypes.Contains(ident);
        if (assembly == "Akka") return AkkaTypes.Contains(ident);
        return false;
    }
}
