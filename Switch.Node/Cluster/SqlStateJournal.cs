using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Switch.Actors.Cluster;
using Switch.Contracts.Cluster;

namespace Switch.Node.Cluster;

/// <summary>
/// The conntrack journal behind the replicas, one table (<c>dswitch_conntrack</c>): a row per connection or
/// expectation (shard, entity id, kind, JSON of its last record). A write is one transaction for a whole group of
/// rows (<see cref="StateWriter"/>): on PostgreSQL one upsert and one delete statement over arrays, on SQLite one
/// prepared statement per row inside the transaction. Rows are written in key order, so two concurrent transactions
/// never wait on each other's rows in opposite orders.
/// </summary>
public abstract class SqlStateJournal : IStateJournal
{
    public const string Table = "dswitch_conntrack";

    public static SqlStateJournal Create(PersistenceOptions p) => p.Provider switch
    {
        PersistenceOptions.Sqlite => new SqliteStateJournal(p.ConnectionString),
        PersistenceOptions.Postgres => new PostgresStateJournal(p.ConnectionString),
        _ => throw new ArgumentException($"persistence provider must be '{PersistenceOptions.Sqlite}' or '{PersistenceOptions.Postgres}', got '{p.Provider}'"),
    };

    public abstract Task WriteAsync(IReadOnlyList<ReplicaItem> rows);

    public async Task<ReplicaItem[]> ReadShardAsync(string shard)
    {
        await using var conn = await OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT key, kind, data FROM {Table} WHERE shard = @shard";
        AddParameter(cmd, "@shard", shard);
        var rows = new List<ReplicaItem>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
            rows.Add(StateRecords.Decode(shard, r.GetString(0), r.GetInt16(1), (byte[])r[2]));
        return rows.ToArray();
    }

    /// <summary>How many rows the table holds (tests).</summary>
    public async Task<int> CountAsync()
    {
        await using var conn = await OpenAsync();
        await using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM {Table}";
        return Convert.ToInt32(await cmd.ExecuteScalarAsync());
    }

    protected abstract Task<DbConnection> OpenAsync();

    private static void AddParameter(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    protected static List<ReplicaItem> Ordered(IReadOnlyList<ReplicaItem> rows) => rows
        .OrderBy(r => r.Shard, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();

    private sealed class SqliteStateJournal : SqlStateJournal
    {
        private readonly string _cs;
        private volatile bool _created;

        public SqliteStateJournal(string cs) => _cs = cs;

        protected override async Task<DbConnection> OpenAsync()
        {
            var conn = new SqliteConnection(_cs);
            await conn.OpenAsync();
            if (!_created)
            {
                // Idempotent DDL: members racing here all succeed.
                await using var ddl = conn.CreateCommand();
                ddl.CommandText = $"""
                    PRAGMA journal_mode=WAL;
                    CREATE TABLE IF NOT EXISTS {Table} (shard TEXT NOT NULL, key TEXT NOT NULL, kind INTEGER NOT NULL,
                      data BLOB NOT NULL, PRIMARY KEY (shard, key)) WITHOUT ROWID;
                    """;
                await ddl.ExecuteNonQueryAsync();
                _created = true;
            }
            return conn;
        }

        public override async Task WriteAsync(IReadOnlyList<ReplicaItem> rows)
        {
            await using var conn = (SqliteConnection)await OpenAsync();
            await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
            await using var put = conn.CreateCommand();
            put.Transaction = tx;
            put.CommandText = $"INSERT INTO {Table} (shard, key, kind, data) VALUES ($s, $k, $kind, $d) "
                + "ON CONFLICT (shard, key) DO UPDATE SET kind = excluded.kind, data = excluded.data";
            var ps = put.Parameters.Add("$s", SqliteType.Text);
            var pk = put.Parameters.Add("$k", SqliteType.Text);
            var pkind = put.Parameters.Add("$kind", SqliteType.Integer);
            var pd = put.Parameters.Add("$d", SqliteType.Blob);
            await using var del = conn.CreateCommand();
            del.Transaction = tx;
            del.CommandText = $"DELETE FROM {Table} WHERE shard = $s AND key = $k";
            var ds = del.Parameters.Add("$s", SqliteType.Text);
            var dk = del.Parameters.Add("$k", SqliteType.Text);
            foreach (var row in Ordered(rows))
            {
                if (row.Conn is null && row.Expect is null)
                {
                    ds.Value = row.Shard; dk.Value = row.Key;
                    await del.ExecuteNonQueryAsync();
                    continue;
                }
                var (kind, data) = StateRecords.Encode(row);
                ps.Value = row.Shard; pk.Value = row.Key; pkind.Value = kind; pd.Value = data;
                await put.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }
    }

    private sealed class PostgresStateJournal : SqlStateJournal
    {
        private readonly NpgsqlDataSource _source;
        private readonly SemaphoreSlim _ddl = new(1, 1);
        private volatile bool _created;

        public PostgresStateJournal(string cs) => _source = NpgsqlDataSource.Create(cs);

        protected override async Task<DbConnection> OpenAsync()
        {
            var conn = await _source.OpenConnectionAsync();
            if (_created) return conn;
            await _ddl.WaitAsync();
            try
            {
                if (!_created)
                {
                    await using var ddl = conn.CreateCommand();
                    ddl.CommandText = $"CREATE TABLE IF NOT EXISTS {Table} (shard TEXT NOT NULL, key TEXT NOT NULL, "
                        + "kind SMALLINT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (shard, key))";
                    try { await ddl.ExecuteNonQueryAsync(); }
                    catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateTable) { }
                    _created = true;
                }
            }
            finally { _ddl.Release(); }
            return conn;
        }

        public override async Task WriteAsync(IReadOnlyList<ReplicaItem> rows)
        {
            var puts = new List<ReplicaItem>(rows.Count);
            var dels = new List<ReplicaItem>();
            foreach (var r in Ordered(rows)) (r.Conn is null && r.Expect is null ? dels : puts).Add(r);
            await using var conn = (NpgsqlConnection)await OpenAsync();
            await using var tx = await conn.BeginTransactionAsync();
            if (puts.Count > 0)
            {
                var encoded = puts.Select(StateRecords.Encode).ToList();
                await using var put = new NpgsqlCommand(
                    $"INSERT INTO {Table} (shard, key, kind, data) SELECT * FROM unnest(@s, @k, @kind, @d) "
                    + "ON CONFLICT (shard, key) DO UPDATE SET kind = EXCLUDED.kind, data = EXCLUDED.data", conn, tx);
                put.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = puts.Select(r => r.Shard).ToArray() });
                put.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = puts.Select(r => r.Key).ToArray() });
                put.Parameters.Add(new NpgsqlParameter("kind", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = encoded.Select(e => e.Kind).ToArray() });
                put.Parameters.Add(new NpgsqlParameter("d", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = encoded.Select(e => e.Data).ToArray() });
                await put.ExecuteNonQueryAsync();
            }
            if (dels.Count > 0)
            {
                await using var del = new NpgsqlCommand(
                    $"DELETE FROM {Table} t USING unnest(@s, @k) AS g(shard, key) WHERE t.shard = g.shard AND t.key = g.key", conn, tx);
                del.Parameters.Add(new NpgsqlParameter("s", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = dels.Select(r => r.Shard).ToArray() });
                del.Parameters.Add(new NpgsqlParameter("k", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = dels.Select(r => r.Key).ToArray() });
                await del.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }
    }
}
