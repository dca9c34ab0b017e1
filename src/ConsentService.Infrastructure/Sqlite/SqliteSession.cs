using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// One open connection with its prepared commands. Microsoft.Data.Sqlite keeps a command's prepared statement
/// as long as its text is unchanged, so fixed statements are created once per connection and reused.
/// Not thread-safe: a session is used by one caller at a time (the writer loop, or a rented reader).
/// </summary>
internal sealed class SqliteSession : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SQLitePCL.sqlite3_stmt> _statements = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; }

    /// <summary>The open transaction commands are enlisted in, or null.</summary>
    public SqliteTransaction? Transaction { get; set; }

    /// <summary>Keys of the versions written in the open write transaction (<see cref="Application.Ports.WriteStamps.KeysOf"/>),
    /// stamped by the writer once it has committed.</summary>
    public HashSet<string> Written { get; } = new(StringComparer.Ordinal);

    /// <summary>Index entries (packed) of the audit rows appended in the open write transaction, by row sequence, for
    /// <see cref="SqliteAuditIndexer"/> once committed.</summary>
    public List<(long Seq, string Hash, byte[] Entries)> AuditIndexPending { get; } = [];

    /// <summary>Audit records appended in the open write transaction (the writer's group-commit statistics).</summary>
    public int AuditRecordsInTransaction { get; set; }

    /// <summary>The last audit row's sequence and hash as of the open write transaction, once read (the chain's tail:
    /// each append continues from it). Cleared by the writer when a transaction begins and restored when a unit's
    /// savepoint rolls back, so it never names a row that is not there.</summary>
    public (long Seq, string Hash)? AuditTail { get; set; }

    private SqliteSession(SqliteConnection connection) => Connection = connection;

    /// <param name="attachAuditIndex">The audit index file (<see cref="SqliteAuditIndexer"/>), attached as
    /// <c>aidx</c> so that searches join its entries with <c>audit_event</c>; null for none.</param>
    public static SqliteSession Open(string path, bool readOnly, string? attachAuditIndex = null)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false, // the store pools its own sessions (with their prepared commands)
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        var session = new SqliteSession(connection);
        // journal_mode=WAL is a property of the file (set once by the writer); synchronous and foreign_keys
        // are per connection. FULL: the WAL is fsynced at every commit, so an acknowledged write survives
        // power loss.
        // Readers are many (one per concurrent request): each keeps a small page cache and shares the file's pages
        // through mmap; the one writer keeps a large cache for the index b-trees it updates.
        // temp_store: readers keep their temporary b-trees (sorts, INTERSECT) in memory. The writer keeps its
        // statement sub-journals in a temporary file: each unit runs in a savepoint, and an in-memory sub-journal is
        // truncated by walking its chunk list from the start after every statement, which made a 10,000-entry
        // transaction bundle quadratic (measured: 47% of a bulk load's CPU in memjrnlTruncate; 2,519 -> 5,138
        // resources/s with the file, which SQLite keeps in its page cache until it grows past 64 KiB).
        session.Execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456; PRAGMA temp_store="
            + (readOnly ? "MEMORY; PRAGMA cache_size=-2048;" : "FILE; PRAGMA cache_size=-65536;"));
        if (attachAuditIndex is not null)
        {
            using var attach = session.AdHoc("ATTACH DATABASE $file AS aidx;");
            attach.Parameters.AddWithValue("$file", attachAuditIndex);
            attach.ExecuteNonQuery();
            session.Execute("PRAGMA aidx.cache_size=" + (readOnly ? "-2048;" : "-65536;"));
        }
        if (readOnly)
            session.Execute("PRAGMA query_only=ON;");
        return session;
    }

    /// <summary>A reusable command for fixed SQL text, with its parameters cleared and enlisted in
    /// <see cref="Transaction"/>.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var cmd))
        {
            cmd = Connection.CreateCommand();
            cmd.CommandText = sql;
            _commands.Add(sql, cmd);
        }
        cmd.Parameters.Clear();
        cmd.Transaction = Transaction;
        return cmd;
    }

    /// <summary>A command for SQL built per request (searches): prepared once per shape and reused while the
    /// session holds fewer than <see cref="MaxCachedStatements"/> shapes, else a one-off. Dispose the result.</summary>
    public Statement Prepared(string sql) =>
        _commands.ContainsKey(sql) || _commands.Count < MaxCachedStatements
            ? new Statement(Command(sql), Owned: false)
            : new Statement(AdHoc(sql), Owned: true);

    /// <summary>Bounds the statements one session keeps prepared (search shapes vary with the number of values).</summary>
    public const int MaxCachedStatements = 256;

    /// <summary>A command from <see cref="Prepared"/>: disposed only when it was not cached.</summary>
    public readonly record struct Statement(SqliteCommand Command, bool Owned) : IDisposable
    {
        public void Dispose()
        {
            if (Owned)
                Command.Dispose();
        }
    }

    /// <summary>A one-off command (for SQL text built per request, e.g. searches).</summary>
    public SqliteCommand AdHoc(string sql)
    {
        var cmd = Connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = Transaction;
        return cmd;
    }

    /// <summary>A statement prepared once on this connection and used through SQLite's own API (bind by position,
    /// step, reset), for the hottest fixed inserts: Microsoft.Data.Sqlite's per-execution work (parameter objects,
    /// binding by name, a data reader per execution) cost more than the b-tree insert itself. Runs in the open
    /// transaction like any statement on this connection.</summary>
    public SQLitePCL.sqlite3_stmt NativeStatement(string sql)
    {
        if (!_statements.TryGetValue(sql, out var stmt))
        {
            var rc = SQLitePCL.raw.sqlite3_prepare_v2(Connection.Handle, sql, out stmt);
            if (rc != SQLitePCL.raw.SQLITE_OK)
                throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(Connection.Handle).utf8_to_string(), rc);
            _statements.Add(sql, stmt);
        }
        return stmt;
    }

    /// <summary>Runs a statement from <see cref="NativeStatement"/> whose parameters are bound, to completion; resets it.</summary>
    public void Step(SQLitePCL.sqlite3_stmt stmt)
    {
        var rc = SQLitePCL.raw.sqlite3_step(stmt);
        SQLitePCL.raw.sqlite3_reset(stmt);
        if (rc != SQLitePCL.raw.SQLITE_DONE && rc != SQLitePCL.raw.SQLITE_ROW)
            throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(Connection.Handle).utf8_to_string(), rc);
    }

    /// <summary>Steps a statement from <see cref="NativeStatement"/> whose parameters are bound, for a query of at
    /// most one row: true when there is a row (read its columns, then <c>sqlite3_reset</c>), false (already reset) when
    /// there is none.</summary>
    public bool StepRow(SQLitePCL.sqlite3_stmt stmt)
    {
        var rc = SQLitePCL.raw.sqlite3_step(stmt);
        if (rc == SQLitePCL.raw.SQLITE_ROW)
            return true;
        SQLitePCL.raw.sqlite3_reset(stmt);
        if (rc != SQLitePCL.raw.SQLITE_DONE)
            throw new SqliteException(SQLitePCL.raw.sqlite3_errmsg(Connection.Handle).utf8_to_string(), rc);
        return false;
    }

    public void Execute(string sql)
    {
        using var cmd = AdHoc(sql);
        cmd.ExecuteNonQuery();
    }

    public object? Scalar(string sql)
    {
        using var cmd = AdHoc(sql);
        return cmd.ExecuteScalar();
    }

    public void Dispose()
    {
        foreach (var cmd in _commands.Values)
            cmd.Dispose();
        _commands.Clear();
        foreach (var stmt in _statements.Values)
            stmt.Dispose(); // sqlite3_finalize, before the connection closes
        _statements.Clear();
        Connection.Dispose();
    }
}

/// <summary>Read sessions, rented one per read. WAL lets them read concurrently with each other and with the
/// writer; each statement sees the last committed state.</summary>
internal sealed class SqliteReaderPool(string path, string? auditIndexPath = null) : IDisposable
{
    private readonly ConcurrentBag<SqliteSession> _idle = [];
    // Sessions kept open for reuse: enough for the request concurrency a node sees (opening a connection and
    // preparing its statements costs far more than the query), bounded so idle memory stays small.
    private readonly int _maxIdle = Math.Max(64, Environment.ProcessorCount * 16);
    private volatile bool _disposed;

    public T Read<T>(Func<SqliteSession, T> read)
    {
        var session = Rent();
        try
        {
            return read(session);
        }
        finally
        {
            Return(session);
        }
    }

    /// <summary>A session for a long read (a streamed scan); give it back with <see cref="Return"/>.</summary>
    public SqliteSession Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _idle.TryTake(out var idle) ? idle : SqliteSession.Open(path, readOnly: true, auditIndexPath);
    }

    public void Return(SqliteSession session)
    {
        if (_disposed || _idle.Count >= _maxIdle)
            session.Dispose();
        else
            _idle.Add(session);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session))
            session.Dispose();
    }
}
