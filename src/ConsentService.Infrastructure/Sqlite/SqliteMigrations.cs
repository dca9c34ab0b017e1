using Microsoft.Data.Sqlite;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// Numbered schema scripts. A database records each applied number in <c>schema_version</c>; at start every
/// script with a higher number runs, each in its own transaction. Scripts are append-only: never edit one that
/// has shipped, add the next number instead.
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>Sentinel <c>valid_to</c> of the current version of a resource (never superseded).</summary>
    public const long Open = long.MaxValue;

    public static readonly IReadOnlyList<(int Version, string Sql)> Scripts =
    [
        (1, """
            CREATE TABLE resource_version (
                seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- store-wide commit sequence; the version is valid from it
                type         TEXT    NOT NULL,
                id           TEXT    NOT NULL,
                version_id   INTEGER NOT NULL,
                last_updated INTEGER NOT NULL,                  -- UTC ticks
                deleted      INTEGER NOT NULL,
                json         TEXT    NOT NULL,
                valid_to     INTEGER NOT NULL DEFAULT 9223372036854775807, -- seq of the version that superseded it
                UNIQUE (type, id, version_id)
            );
            CREATE INDEX ix_version_current ON resource_version (type, valid_to, seq);

            CREATE TABLE search_token (
                seq    INTEGER NOT NULL REFERENCES resource_version (seq),
                type   TEXT    NOT NULL,
                param  TEXT    NOT NULL,
                system TEXT    NOT NULL,  -- '' when the value has no system
                value  TEXT    NOT NULL
            );
            CREATE INDEX ix_token_value ON search_token (type, param, value, system, seq);

            CREATE TABLE search_reference (
                seq      INTEGER NOT NULL REFERENCES resource_version (seq),
                type     TEXT    NOT NULL,
                param    TEXT    NOT NULL,
                ref_type TEXT    NOT NULL, -- the part before the last '/', '' when none
                ref_id   TEXT    NOT NULL
            );
            CREATE INDEX ix_reference ON search_reference (type, param, ref_id, ref_type, seq);

            CREATE TABLE search_date (
                seq   INTEGER NOT NULL REFERENCES resource_version (seq),
                type  TEXT    NOT NULL,
                param TEXT    NOT NULL,
                low   INTEGER NOT NULL,  -- UTC ticks, inclusive
                high  INTEGER NOT NULL   -- UTC ticks, inclusive
            );
            CREATE INDEX ix_date_low ON search_date (type, param, low, high, seq);
            CREATE INDEX ix_date_high ON search_date (type, param, high, low, seq);
            CREATE INDEX ix_date_seq ON search_date (seq, param, low);

            CREATE TABLE search_string (
                seq   INTEGER NOT NULL REFERENCES resource_version (seq),
                type  TEXT    NOT NULL,
                param TEXT    NOT NULL,
                value TEXT    NOT NULL
            );
            CREATE INDEX ix_string ON search_string (type, param, value, seq);

            CREATE TABLE unique_key (
                type TEXT    NOT NULL,
                key  TEXT    NOT NULL,
                id   TEXT    NOT NULL,
                seq  INTEGER NOT NULL REFERENCES resource_version (seq), -- the current version holding the key
                PRIMARY KEY (type, key)
            ) WITHOUT ROWID;
            CREATE INDEX ix_unique_key_owner ON unique_key (type, id);
            """),
        (2, """
            -- type history (newest first) and "system|" token searches
            CREATE INDEX ix_version_type_seq ON resource_version (type, seq);
            CREATE INDEX ix_token_system ON search_token (type, param, system, value, seq);
            """),
        (3, """
            -- "as of" decisions map a record time to the store sequence current then
            CREATE INDEX ix_version_last_updated ON resource_version (last_updated, seq);

            -- the audit trail: append-only, in commit order
            CREATE TABLE audit_event (
                seq      INTEGER PRIMARY KEY AUTOINCREMENT,
                id       TEXT    NOT NULL UNIQUE,
                recorded INTEGER NOT NULL, -- UTC ticks
                json     TEXT    NOT NULL
            );
            """),
        (4, """
            -- the hash chain (docs/audit.md): rows written before this version are chained when the store opens
            ALTER TABLE audit_event ADD COLUMN chain     TEXT NOT NULL DEFAULT 'main';
            ALTER TABLE audit_event ADD COLUMN prev_hash TEXT;
            ALTER TABLE audit_event ADD COLUMN hash      TEXT;

            -- AuditEvent search: index entries written with each audit row (keyed by its seq)
            CREATE TABLE audit_token (
                seq    INTEGER NOT NULL REFERENCES audit_event (seq),
                param  TEXT    NOT NULL,
                system TEXT    NOT NULL,
                value  TEXT    NOT NULL
            );
            CREATE INDEX ix_audit_token_value ON audit_token (param, value, system, seq);
            CREATE INDEX ix_audit_token_system ON audit_token (param, system, value, seq);

            CREATE TABLE audit_reference (
                seq      INTEGER NOT NULL REFERENCES audit_event (seq),
                param    TEXT    NOT NULL,
                ref_type TEXT    NOT NULL,
                ref_id   TEXT    NOT NULL
            );
            CREATE INDEX ix_audit_reference ON audit_reference (param, ref_id, ref_type, seq);

            CREATE TABLE audit_date (
                seq   INTEGER NOT NULL REFERENCES audit_event (seq),
                param TEXT    NOT NULL,
                low   INTEGER NOT NULL,
                high  INTEGER NOT NULL
            );
            CREATE INDEX ix_audit_date_low ON audit_date (param, low, high, seq);
            CREATE INDEX ix_audit_date_high ON audit_date (param, high, low, seq);
            CREATE INDEX ix_audit_date_seq ON audit_date (seq, param, low);

            CREATE TABLE audit_string (
                seq   INTEGER NOT NULL REFERENCES audit_event (seq),
                param TEXT    NOT NULL,
                value TEXT    NOT NULL
            );
            CREATE INDEX ix_audit_string ON audit_string (param, value, seq);
            """),
        (5, """
            -- AuditEvent index entries moved to their own file, written after their rows by their own writer
            -- (SqliteAuditIndexer, docs/storage.md "The audit search index"); that file is rebuilt from these rows.
            DROP TABLE audit_token;
            DROP TABLE audit_reference;
            DROP TABLE audit_date;
            DROP TABLE audit_string;
            """),
        (6, """
            -- a stream (cohort) lists its matches in id order from this index alone, without reading their rows
            -- (SqliteSearch.StreamOrderCommand); appended to in sequence order like ix_version_type_seq
            CREATE INDEX ix_version_stream ON resource_version (type, seq, valid_to, deleted, id);
            """),
    ];

    public static int LatestVersion => Scripts[^1].Version;

    /// <summary>Applies every script above the recorded version, up to <paramref name="upTo"/> (all by default).
    /// Returns the schema version afterwards.</summary>
    public static int Apply(SqliteConnection connection, int? upTo = null)
    {
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL);");
        var current = CurrentVersion(connection);
        foreach (var (version, sql) in Scripts)
        {
            if (version <= current || version > (upTo ?? int.MaxValue))
                continue;
            using var tx = connection.BeginTransaction();
            Execute(connection, tx, sql);
            using (var record = connection.CreateCommand())
            {
                record.Transaction = tx;
                record.CommandText = "INSERT INTO schema_version (version, applied_utc) VALUES ($v, $t);";
                record.Parameters.AddWithValue("$v", version);
                record.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O"));
                record.ExecuteNonQuery();
            }
            tx.Commit();
            current = version;
        }
        return current;
    }

    /// <summary>The recorded schema version, 0 for a new file.</summary>
    public static int CurrentVersionOrZero(SqliteConnection connection)
    {
        using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version';";
        return Convert.ToInt64(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0 ? 0 : CurrentVersion(connection);
    }

    public static int CurrentVersion(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
