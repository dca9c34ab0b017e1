using ConsentService.Application.Ports;
using Microsoft.Data.Sqlite;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// One family of searchable rows: the table that holds the rows and the index tables written beside each row at
/// write time. Resources: <c>resource_version</c> with <c>search_*</c> (keyed by type and version sequence).
/// AuditEvents: <c>audit_event</c> with <c>audit_*</c> (keyed by audit sequence). <see cref="SqliteSearch"/>
/// queries either the same way.
/// </summary>
internal sealed class SqliteIndexTables
{
    public static readonly SqliteIndexTables Resources = new(
        from: "resource_version r",
        columns: SqliteRows.Columns,
        visibleAt: "r.type = $type AND r.seq <= $snap AND r.valid_to > $snap AND r.deleted = 0",
        lastUpdated: "r.last_updated",
        prefix: "search_",
        typed: true);

    /// <summary>Audit rows read as version 1 of an AuditEvent, record time as lastUpdated; never superseded.</summary>
    public static readonly SqliteIndexTables Audit = new(
        from: "audit_event r",
        columns: "r.seq, 'AuditEvent', r.id, 1, r.recorded, 0, r.json",
        visibleAt: "r.seq <= $snap",
        lastUpdated: "r.recorded",
        prefix: "audit_",
        typed: false);

    private readonly string _insertToken;
    private readonly string _insertReference;
    private readonly string _insertDate;
    private readonly string _insertString;

    private SqliteIndexTables(string from, string columns, string visibleAt, string lastUpdated, string prefix, bool typed)
    {
        From = from;
        Columns = columns;
        VisibleAt = visibleAt;
        LastUpdated = lastUpdated;
        Token = prefix + "token";
        Reference = prefix + "reference";
        Date = prefix + "date";
        String = prefix + "string";
        Typed = typed;
        var (typeColumn, typeValue) = typed ? ("type, ", "$t, ") : ("", "");
        _insertToken = $"INSERT INTO {Token} (seq, {typeColumn}param, system, value) VALUES ($seq, {typeValue}$p, $a, $b);";
        _insertReference = $"INSERT INTO {Reference} (seq, {typeColumn}param, ref_type, ref_id) VALUES ($seq, {typeValue}$p, $a, $b);";
        _insertDate = $"INSERT INTO {Date} (seq, {typeColumn}param, low, high) VALUES ($seq, {typeValue}$p, $a, $b);";
        _insertString = $"INSERT INTO {String} (seq, {typeColumn}param, value) VALUES ($seq, {typeValue}$p, $b);";
    }

    /// <summary>The row table with its alias r.</summary>
    public string From { get; }

    /// <summary>The select list read by <see cref="SqliteRows.Read"/>.</summary>
    public string Columns { get; }

    /// <summary>The rows visible at snapshot <c>$snap</c> (of type <c>$type</c> when typed).</summary>
    public string VisibleAt { get; }

    public string LastUpdated { get; }

    public string Token { get; }

    public string Reference { get; }

    public string Date { get; }

    public string String { get; }

    /// <summary>Whether the index tables carry a resource type column (<c>x.type = $type</c>).</summary>
    public bool Typed { get; }

    /// <summary>Writes one index entry of the row <paramref name="seq"/>.</summary>
    public void Write(SqliteSession s, string type, long seq, SearchIndexEntry entry)
    {
        SqliteCommand cmd;
        switch (entry.Type)
        {
            case SearchParamType.Token:
                cmd = s.Command(_insertToken);
                cmd.Parameters.AddWithValue("$a", entry.System ?? "");
                cmd.Parameters.AddWithValue("$b", entry.Value ?? "");
                break;
            case SearchParamType.Reference when entry.Value is not null:
                var (refType, refId) = IndexValues.SplitReference(entry.Value);
                cmd = s.Command(_insertReference);
                cmd.Parameters.AddWithValue("$a", refType);
                cmd.Parameters.AddWithValue("$b", refId);
                break;
            case SearchParamType.Date:
                cmd = s.Command(_insertDate);
                cmd.Parameters.AddWithValue("$a", (entry.Low ?? DateTimeOffset.MinValue).UtcTicks);
                cmd.Parameters.AddWithValue("$b", (entry.High ?? DateTimeOffset.MaxValue).UtcTicks);
                break;
            case SearchParamType.String when entry.Value is not null:
                cmd = s.Command(_insertString);
                cmd.Parameters.AddWithValue("$b", entry.Value);
                break;
            default:
                return; // a reference or string entry without a value indexes nothing
        }
        cmd.Parameters.AddWithValue("$seq", seq);
        if (Typed)
            cmd.Parameters.AddWithValue("$t", type);
        cmd.Parameters.AddWithValue("$p", entry.Parameter);
        cmd.ExecuteNonQuery();
    }
}
