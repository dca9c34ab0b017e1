using System.Globalization;
using ConsentService.Application.Audit;
using Microsoft.Data.Sqlite;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// The search index of the audit trail, in a file of its own (<c>&lt;database&gt;-audit-index</c>) written by a writer
/// of its own. An audit row (the record and its hash) is committed with the write or decision it records; its index
/// entries (about fifteen, over b-trees with random keys) wait in memory until that commit is durable and are then
/// written here in batches, in parallel with the main writer, so recording a decision never waits for its index.
/// The file holds derived data only: <c>audit_index_state.upto</c> (committed with the entries) says which rows have
/// their entries, and whatever is missing (after a crash, a lost file, an upgrade) is rebuilt from the rows' JSON
/// when the store opens (<see cref="Recover"/>).
/// </summary>
/// <remarks>
/// Searches call <see cref="FlushAsync"/> first, so a search sees every audit row committed before it began. Read
/// sessions attach the file as <c>aidx</c> (<see cref="SqliteIndexTables.Audit"/>).
/// </remarks>
internal sealed class SqliteAuditIndexer : IAsyncDisposable
{
    /// <summary>Rows per index transaction: a batch takes at least this many waiting rows (when there are) and ends
    /// on the next row that keeps its hash, so it holds fewer than twice this many.</summary>
    public const int BatchRows = 8192;

    /// <summary>How long committed rows may wait to be batched before their entries are written.</summary>
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(50);

    // The same columns as the resources' search_* tables (SqliteSearch queries both alike), but each table is
    // clustered on its main lookup key (WITHOUT ROWID): an entry is one b-tree insert there instead of a row plus an
    // index entry. An entry repeated within one event is kept once (set semantics, INSERT OR IGNORE).
    // Tokens have no second index by system: every AuditEvent token search names a code (served by the key), and a
    // search by system alone ("system|") scans its parameter's entries instead of doubling every token insert.
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS audit_token (param TEXT NOT NULL, value TEXT NOT NULL, system TEXT NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY (param, value, system, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS audit_reference (param TEXT NOT NULL, ref_id TEXT NOT NULL, ref_type TEXT NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY (param, ref_id, ref_type, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS audit_date (param TEXT NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY (param, low, high, seq)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_audit_date_high ON audit_date (param, high, low, seq);
        CREATE INDEX IF NOT EXISTS ix_audit_date_seq ON audit_date (seq, param, low);
        CREATE TABLE IF NOT EXISTS audit_string (param TEXT NOT NULL, value TEXT NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY (param, value, seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS audit_index_state (id INTEGER PRIMARY KEY CHECK (id = 0), upto INTEGER NOT NULL, upto_hash TEXT);
        INSERT OR IGNORE INTO audit_index_state (id, upto, upto_hash) VALUES (0, 0, NULL);
        """;

    /// <summary>The layout of the index file (<c>PRAGMA user_version</c>); a file of another layout is rebuilt.</summary>
    private const int SchemaVersion = 2;

    private readonly Lock _lock = new();
    private readonly List<WaitingRow> _waiting = [];
    private readonly SqliteSession _session;
    private readonly SqliteWriter _writer;
    private Task? _scheduled;

    private SqliteAuditIndexer(SqliteSession session)
    {
        _session = session;
        _writer = new SqliteWriter(session, static (_, _) => { });
    }

    /// <summary>The index file of the database at <paramref name="databasePath"/>.</summary>
    public static string PathFor(string databasePath) => databasePath + "-audit-index";

    /// <summary>Opens (creating when missing) the index file and rebuilds the entries of rows above its <c>upto</c>
    /// from <paramref name="main"/> (the main file's write session, before its writer starts).</summary>
    public static SqliteAuditIndexer Open(string databasePath, SqliteSession main, out int rebuilt)
    {
        var session = SqliteSession.Open(PathFor(databasePath), readOnly: false);
        try
        {
            var mode = Convert.ToString(session.Scalar("PRAGMA journal_mode=WAL;"), CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"SQLite refused WAL journal mode for the audit index (got '{mode}').");
            // Derived data: a commit lost to power failure is rebuilt from the main file at the next open.
            session.Execute("PRAGMA synchronous=NORMAL;");
            if (Convert.ToInt64(session.Scalar("PRAGMA user_version;"), CultureInfo.InvariantCulture) != SchemaVersion || !BelongsTo(main, session))
            {
                // A new file, another layout, or the index of another database (a restored backup, a copied file):
                // start over; Recover rebuilds every entry from the rows.
                session.Execute("DROP TABLE IF EXISTS audit_token; DROP TABLE IF EXISTS audit_reference; DROP TABLE IF EXISTS audit_date; "
                    + "DROP TABLE IF EXISTS audit_string; DROP TABLE IF EXISTS audit_index_state;");
                session.Execute(Schema);
                session.Execute($"PRAGMA user_version={SchemaVersion};");
            }
            // Files written before the token index by system was dropped (same layout otherwise, nothing to rebuild).
            session.Execute("DROP INDEX IF EXISTS ix_audit_token_system;");
            rebuilt = Recover(main, session);
            return new SqliteAuditIndexer(session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The most rows one index transaction has written (diagnostics and tests; the index writer's thread writes it).</summary>
    public int LargestBatch { get; private set; }

    /// <summary>Rows committed whose entries are not written yet.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>A committed audit row waiting for its entries, which are packed (<see cref="PackedIndexEntries"/>):
    /// when the index lags (a cohort decides faster than this file takes entries) every waiting row is held here.
    /// The chain hash is kept only for the last row of each commit and every <see cref="BatchRows"/>-th row within
    /// one: the index records the hash of the row it indexed last, and a batch ends on such a row (so a batch holds
    /// fewer than twice <see cref="BatchRows"/> rows).</summary>
    private readonly record struct WaitingRow(long Seq, string? Hash, byte[] Entries);

    /// <summary>On the main writer loop, after a commit: the committed rows' entries now wait for a batch.</summary>
    public void Committed(List<(long Seq, string Hash, byte[] Entries)> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            for (var i = 0; i < rows.Count; i++)
            {
                var (seq, hash, entries) = rows[i];
                // a batch ends on a row with its hash: the end of a commit, and every BatchRows-th row within one
                _waiting.Add(new WaitingRow(seq, i == rows.Count - 1 || (i + 1) % BatchRows == 0 ? hash : null, entries));
            }
            _scheduled ??= ScheduleAsync(_waiting.Count >= BatchRows ? TimeSpan.Zero : Delay);
        }
    }

    private async Task ScheduleAsync(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay).ConfigureAwait(false);
        }
        try
        {
            await IndexWaitingAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SqliteException or ObjectDisposedException or InvalidOperationException)
        {
            // The rows stay waiting: the next commit or search schedules another batch, and a restart rebuilds them.
        }
        finally
        {
            lock (_lock)
            {
                _scheduled = null;
                if (_waiting.Count > 0)
                {
                    _scheduled = ScheduleAsync(_waiting.Count >= BatchRows ? TimeSpan.Zero : Delay);
                }
            }
        }
    }

    /// <summary>Returns once every audit row committed before the call has its index entries.</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        long target;
        lock (_lock)
        {
            if (_waiting.Count == 0)
            {
                return;
            }
            target = _waiting[^1].Seq;
        }
        while (await IndexWaitingAsync(ct).ConfigureAwait(false) < target)
        {
        }
    }

    private async Task<long> IndexWaitingAsync(CancellationToken ct)
    {
        var upTo = await _writer.ExecuteAsync(IndexWaiting, ct).ConfigureAwait(false);
        lock (_lock)
        {
            var done = 0;
            while (done < _waiting.Count && _waiting[done].Seq <= upTo)
            {
                done++;
            }
            _waiting.RemoveRange(0, done);
        }
        return upTo;
    }

    /// <summary>A unit of the index writer: writes the entries of waiting rows above <c>upto</c> (one batch) and
    /// raises <c>upto</c>; returns the new <c>upto</c>. The waiting list is trimmed once that has committed.</summary>
    private long IndexWaiting(SqliteSession session)
    {
        var upTo = UpTo(session);
        var rows = new List<WaitingRow>(BatchRows);
        lock (_lock)
        {
            // From BatchRows on, up to the next row with its hash (the last waiting row always has one).
            foreach (var row in _waiting)
            {
                if (row.Seq <= upTo)
                {
                    continue;
                }
                rows.Add(row);
                if (rows.Count >= BatchRows && row.Hash is not null)
                {
                    break;
                }
            }
        }
        if (rows.Count == 0)
        {
            return upTo;
        }
        Write(session, rows);
        LargestBatch = Math.Max(LargestBatch, rows.Count);
        return rows[^1].Seq;
    }

    private static void Write(SqliteSession session, List<WaitingRow> rows)
    {
        foreach (var row in rows)
        {
            SqliteIndexTables.AuditIndexFile.WritePacked(session, "AuditEvent", row.Seq, row.Entries);
        }
        var cmd = session.Command("UPDATE audit_index_state SET upto = $upto, upto_hash = $hash WHERE id = 0;");
        cmd.Parameters.AddWithValue("$upto", rows[^1].Seq);
        cmd.Parameters.AddWithValue("$hash", rows[^1].Hash);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Whether the index was built from this database: the row it last indexed carries the chain hash the
    /// index recorded for it (an empty index belongs to any database).</summary>
    private static bool BelongsTo(SqliteSession main, SqliteSession index)
    {
        if (Convert.ToInt64(index.Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'audit_index_state';"), CultureInfo.InvariantCulture) == 0)
        {
            return false;
        }
        using var state = index.AdHoc("SELECT upto, upto_hash FROM audit_index_state WHERE id = 0;");
        using var row = state.ExecuteReader();
        if (!row.Read())
        {
            return false;
        }
        var upTo = row.GetInt64(0);
        if (upTo == 0)
        {
            return true;
        }
        using var check = main.AdHoc("SELECT hash FROM audit_event WHERE seq = $seq;");
        check.Parameters.AddWithValue("$seq", upTo);
        return !row.IsDBNull(1) && check.ExecuteScalar() is string hash && hash == row.GetString(1);
    }

    /// <summary>Rebuilds the entries of the rows of <paramref name="main"/> above the index's <c>upto</c> (those a crash
    /// or a lost index file left without entries) from their JSON, in batches. Returns how many rows it indexed.</summary>
    private static int Recover(SqliteSession main, SqliteSession index)
    {
        var upTo = UpTo(index);
        var rebuilt = 0;
        while (true)
        {
            var rows = new List<WaitingRow>();
            using (var cmd = main.AdHoc("SELECT seq, hash, json FROM audit_event WHERE seq > $upto ORDER BY seq LIMIT $limit;"))
            {
                cmd.Parameters.AddWithValue("$upto", upTo);
                cmd.Parameters.AddWithValue("$limit", BatchRows);
                using var row = cmd.ExecuteReader();
                while (row.Read())
                {
                    rows.Add(new WaitingRow(row.GetInt64(0), row.GetString(1), PackedIndexEntries.Pack(StoredAuditEvents.Index(row.GetString(2)))));
                }
            }
            if (rows.Count == 0)
            {
                return rebuilt;
            }
            using (var tx = index.Connection.BeginTransaction())
            {
                index.Transaction = tx;
                try
                {
                    Write(index, rows);
                    tx.Commit();
                }
                finally
                {
                    index.Transaction = null;
                }
            }
            rebuilt += rows.Count;
            upTo = rows[^1].Seq;
        }
    }

    private static long UpTo(SqliteSession session) =>
        Convert.ToInt64(session.Command("SELECT upto FROM audit_index_state WHERE id = 0;").ExecuteScalar(), CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false); // else rebuilt at the next open
        }
        catch (Exception e) when (e is SqliteException or ObjectDisposedException or InvalidOperationException)
        {
            // Rebuilt from the rows at the next open.
        }
        await _writer.DisposeAsync().ConfigureAwait(false);
        _session.Dispose();
    }
}
