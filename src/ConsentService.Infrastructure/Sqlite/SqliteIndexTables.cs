using ConsentService.Application.Ports;

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

    /// <summary>Audit rows read as version 1 of an AuditEvent, record time as lastUpdated; never superseded. Their
    /// index tables live in the attached audit index file (<see cref="SqliteAuditIndexer"/>).</summary>
    public static readonly SqliteIndexTables Audit = new(
        from: "audit_event r",
        columns: "r.seq, 'AuditEvent', r.id, 1, r.recorded, 0, r.json",
        visibleAt: "r.seq <= $snap",
        lastUpdated: "r.recorded",
        prefix: "aidx.audit_",
        typed: false);

    /// <summary>The audit index tables as the audit index file's own writer sees them (not attached: no prefix).</summary>
    public static readonly SqliteIndexTables AuditIndexFile = new(
        from: "audit_event r",
        columns: "",
        visibleAt: "",
        lastUpdated: "",
        prefix: "audit_",
        typed: false,
        keyed: true);

    private SqliteIndexTables(string from, string columns, string visibleAt, string lastUpdated, string prefix, bool typed, bool keyed = false)
    {
        Keyed = keyed;
        From = from;
        Columns = columns;
        VisibleAt = visibleAt;
        LastUpdated = lastUpdated;
        Token = prefix + "token";
        Reference = prefix + "reference";
        Date = prefix + "date";
        String = prefix + "string";
        Typed = typed;
        // indexed by PackedIndexEntries' table codes
        _insertSql = [InsertSql(Token, "system, value"), InsertSql(Reference, "ref_type, ref_id"), InsertSql(Date, "low, high"), InsertSql(String, "value")];
    }

    private readonly string[] _insertSql;

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

    /// <summary>Whether the index tables are keyed on their whole row (the audit index file): a repeated entry is ignored.</summary>
    public bool Keyed { get; }

    /// <summary>Whether the index tables carry a resource type column (<c>x.type = $type</c>).</summary>
    public bool Typed { get; }

    /// <summary>Writes the index entries of the row <paramref name="seq"/> into their tables.</summary>
    public void WriteAll(SqliteSession s, string type, long seq, IReadOnlyList<SearchIndexEntry> entries)
    {
        if (entries.Count > 0)
            WritePacked(s, type, seq, PackedIndexEntries.PackTransient(entries));
    }

    /// <summary>Writes the index entries of the row <paramref name="seq"/>, packed (<see cref="PackedIndexEntries"/>),
    /// into their tables.</summary>
    public void WritePacked(SqliteSession s, string type, long seq, ReadOnlySpan<byte> packed)
    {
        // One prepared single-row statement per table, executed per entry. (Measured: multi-row VALUES statements of
        // varying length made appends slower as the tables grew; single-row inserts stay flat.) Bound by position
        // through SQLite's API, from the packed UTF-8: this runs for every index entry of every version and AuditEvent.
        var reader = new PackedIndexEntries.Reader(packed);
        SQLitePCL.sqlite3_stmt? token = null, reference = null, date = null, text = null; // looked up once per row
        while (reader.NextEntry(out var table))
        {
            var stmt = table switch
            {
                PackedIndexEntries.Token => token ??= s.NativeStatement(_insertSql[table]),
                PackedIndexEntries.Reference => reference ??= s.NativeStatement(_insertSql[table]),
                PackedIndexEntries.Date => date ??= s.NativeStatement(_insertSql[table]),
                _ => text ??= s.NativeStatement(_insertSql[table]),
            };
            var at = 1;
            SQLitePCL.raw.sqlite3_bind_int64(stmt, at++, seq);
            if (Typed)
                SQLitePCL.raw.sqlite3_bind_text(stmt, at++, type);
            SQLitePCL.raw.sqlite3_bind_text(stmt, at++, reader.NextText());
            switch (table)
            {
                case PackedIndexEntries.Date:
                    SQLitePCL.raw.sqlite3_bind_int64(stmt, at++, reader.NextNumber());
                    SQLitePCL.raw.sqlite3_bind_int64(stmt, at, reader.NextNumber());
                    break;
                case PackedIndexEntries.String:
                    SQLitePCL.raw.sqlite3_bind_text(stmt, at, reader.NextText());
                    break;
                default: // token (system, value), reference (type, id)
                    SQLitePCL.raw.sqlite3_bind_text(stmt, at++, reader.NextText());
                    SQLitePCL.raw.sqlite3_bind_text(stmt, at, reader.NextText());
                    break;
            }
            s.Step(stmt);
        }
    }

    private string InsertSql(string table, string valueColumns) =>
        $"INSERT{(Keyed ? " OR IGNORE" : "")} INTO {table} (seq, {(Typed ? "type, " : "")}param, {valueColumns}) VALUES (?, {(Typed ? "?, " : "")}?, {(valueColumns.Contains(',', StringComparison.Ordinal) ? "?, ?" : "?")});";
}
