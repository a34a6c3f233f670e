namespace Switch.Node;

/// <summary>
/// The "persistence" section of a cluster node's config: where conntrack state is journaled so it survives
/// the loss of a node. <code>"persistence":{"provider":"sqlite","connectionString":"Data Source=journal.db"}</code>
/// (one host; a relative Data Source is relative to the config file) or
/// <code>"persistence":{"provider":"postgres","connectionString":"Host=db;Username=dswitch;Password=…;Database=dswitch"}</code>.
/// Every member must use the same store.
/// </summary>
public sealed record NodeConfigPersistence
{
    public string Provider { get; init; } = "sqlite";
    public string ConnectionString { get; init; } = "";
}
