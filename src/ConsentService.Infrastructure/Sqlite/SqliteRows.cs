using ConsentService.Application.Ports;
using Microsoft.Data.Sqlite;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>Maps <c>resource_version</c> rows (selected as <see cref="Columns"/>, alias r) to <see cref="StoredResource"/>.</summary>
internal static class SqliteRows
{
    public const string Columns = "r.seq, r.type, r.id, r.version_id, r.last_updated, r.deleted, r.json";

    public static StoredResource Read(SqliteDataReader row) => new(
        ResourceType: row.GetString(1),
        Id: row.GetString(2),
        VersionId: row.GetInt32(3),
        LastUpdated: new DateTimeOffset(row.GetInt64(4), TimeSpan.Zero),
        IsDeleted: row.GetInt64(5) != 0,
        Json: row.GetString(6),
        Sequence: row.GetInt64(0));

    public static StoredResource? ReadSingle(SqliteCommand cmd)
    {
        using var row = cmd.ExecuteReader();
        return row.Read() ? Read(row) : null;
    }

    public static List<StoredResource> ReadAll(SqliteCommand cmd)
    {
        var list = new List<StoredResource>();
        using var row = cmd.ExecuteReader();
        while (row.Read())
            list.Add(Read(row));
        return list;
    }
}
