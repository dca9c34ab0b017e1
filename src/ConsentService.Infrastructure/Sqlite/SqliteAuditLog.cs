using System.Globalization;
using ConsentService.Application.Ports;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// The audit trail in the same SQLite file as the resources, appended through the store's single writer, so
/// concurrent appends share one transaction and one fsync (group commit) and an append completes only after
/// its commit (synchronous=FULL).
/// </summary>
public sealed class SqliteAuditLog(SqliteResourceStore store) : IAuditLog
{
    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
            return Task.CompletedTask;
        return store.Writer.ExecuteAsync(session =>
        {
            var insert = session.Command("INSERT INTO audit_event (id, recorded, json) VALUES ($id, $recorded, $json);");
            var id = insert.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
            var recorded = insert.Parameters.Add("$recorded", Microsoft.Data.Sqlite.SqliteType.Integer);
            var json = insert.Parameters.Add("$json", Microsoft.Data.Sqlite.SqliteType.Text);
            foreach (var record in records)
            {
                id.Value = record.Id;
                recorded.Value = record.Recorded.UtcTicks;
                json.Value = record.Json;
                insert.ExecuteNonQuery();
            }
            return records.Count;
        }, ct);
    }

    public Task<AuditRecord?> ReadAsync(string id, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(store.Read(session =>
        {
            var cmd = session.Command("SELECT id, recorded, json FROM audit_event WHERE id = $id;");
            cmd.Parameters.AddWithValue("$id", id);
            using var reader = cmd.ExecuteReader();
            return reader.Read()
                ? new AuditRecord(reader.GetString(0), new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero), reader.GetString(2))
                : null;
        }));
    }
}
