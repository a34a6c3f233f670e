using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switch.Node.Security;

/// <summary>The two roles of the control API: <c>reader</c> sees, <c>admin</c> also changes (flows, flush, packet-out).</summary>
public enum ApiRole { Reader = 1, Admin = 2 }

/// <summary>
/// The bearer tokens a node accepts, by role. The node keeps only their SHA-256 (tokens.json: <c>{"tokens":[{"name":
/// "admin","role":"admin","sha256":"…"}]}</c>): a leaked config reveals no credential. Tokens are 256-bit random, so a
/// plain hash is enough. The file is re-read when it changes (a rotated Kubernetes Secret), checked at most once a second.
/// </summary>
public sealed class ApiTokens
{
    public sealed record Entry(string Name, string Role, string Sha256);
    private sealed record FileShape(List<Entry> Tokens);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
    };

    private readonly string? _path;
    private (byte[] Hash, string Name, ApiRole Role)[] _entries;
    private DateTime _stamp;
    private long _checkedAt;

    private ApiTokens(string? path, (byte[], string, ApiRole)[] entries, DateTime stamp)
    {
        _path = path; _entries = entries; _stamp = stamp;
    }

    /// <summary>Tokens held in memory (replay's local cluster, tests): name → (token, role).</summary>
    public static ApiTokens Of(params (string Name, string Token, ApiRole Role)[] tokens) =>
        new(null, tokens.Select(t => (Hash(t.Token), t.Name, t.Role)).ToArray(), default);

    public static ApiTokens Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"security.tokens: file '{path}' not found");
        return new ApiTokens(path, Read(path), File.GetLastWriteTimeUtc(path));
    }

    private static (byte[], string, ApiRole)[] Read(string path)
    {
        FileShape? f;
        try { f = JsonSerializer.Deserialize<FileShape>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new UsageException($"{path}: {e.Message}"); }
        if (f?.Tokens is not { Count: > 0 }) throw new UsageException($"{path}: expected {{\"tokens\":[{{\"name\":…,\"role\":\"admin|reader\",\"sha256\":…}}]}}");
        return f.Tokens.Select((t, i) =>
        {
            var role = t.Role switch
            {
                "admin" => ApiRole.Admin,
                "reader" => ApiRole.Reader,
                _ => throw new UsageException($"{path}: tokens[{i}].role: expected admin or reader, got '{t.Role}'"),
            };
            byte[] h;
            try { h = Convert.FromHexString(t.Sha256); } catch (FormatException) { h = Array.Empty<byte>(); }
            if (h.Length != 32) throw new UsageException($"{path}: tokens[{i}].sha256: expected 64 hex digits");
            return (h, t.Name, role);
        }).ToArray();
    }

    /// <summary>The role and name of <paramref name="token"/>, or null when no entry has it (compared in constant time).</summary>
    public (ApiRole Role, string Name)? Find(string token)
    {
        Refresh();
        var h = Hash(token);
        (ApiRole, string)? found = null;
        foreach (var (hash, name, role) in Volatile.Read(ref _entries))
            if (CryptographicOperations.FixedTimeEquals(hash, h)) found ??= (role, name);
        return found;
    }

    private void Refresh()
    {
        if (_path is null) return;
        long now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _checkedAt) < 1000) return;
        Interlocked.Exchange(ref _checkedAt, now);
        try
        {
            var stamp = File.GetLastWriteTimeUtc(_path);
            if (stamp == _stamp) return;
            Volatile.Write(ref _entries, Read(_path));
            _stamp = stamp;
        }
        catch (Exception e) when (e is IOException or UsageException or UnauthorizedAccessException)
        {
            // A half-written file during rotation: keep the tokens in force and try again on a later request.
        }
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>A new token: 32 random bytes, URL-safe base64 with a recognisable prefix.</summary>
    public static string NewToken() => "dsw_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>tokens.json for the given (name, token, role) triples.</summary>
    public static string FileText(IEnumerable<(string Name, string Token, ApiRole Role)> tokens) =>
        JsonSerializer.Serialize(new FileShape(tokens.Select(t =>
            new Entry(t.Name, t.Role == ApiRole.Admin ? "admin" : "reader", Convert.ToHexString(Hash(t.Token)).ToLowerInvariant())).ToList()), Json) + "\n";
}
