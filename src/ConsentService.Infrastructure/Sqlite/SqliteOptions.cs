namespace ConsentService.Infrastructure.Sqlite;

/// <summary>Options of the embedded SQLite store (bound by the Api from <c>Storage:Sqlite</c>).</summary>
public sealed class SqliteOptions
{
    /// <summary>Path of the database file; its folder is created when missing.</summary>
    public string Path { get; set; } = "./data/consents.db";
}
