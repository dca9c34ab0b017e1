using System.Globalization;
using ConsentService.Application;
using ConsentService.Application.Ports;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// <see cref="IResourceStore"/> on an embedded SQLite file (WAL, synchronous=FULL). Writes go through one
/// <see cref="SqliteWriter"/> (serialised, group-committed); reads use pooled read connections. See
/// docs/storage.md ("SQLite") for the schema and the concurrency model.
/// </summary>
public sealed class SqliteResourceStore : IResourceStore, IDisposable, IAsyncDisposable
{
    private const long MicrosecondTicks = TimeSpan.TicksPerMicrosecond;

    private const string CurrentSql =
        "SELECT seq, version_id, deleted FROM resource_version WHERE type = $t AND id = $i ORDER BY version_id DESC LIMIT 1;";
    private const string LatestSql =
        $"SELECT {SqliteRows.Columns} FROM resource_version r WHERE r.type = $t AND r.id = $i ORDER BY r.version_id DESC LIMIT 1;";
    private const string VersionSql =
        $"SELECT {SqliteRows.Columns} FROM resource_version r WHERE r.type = $t AND r.id = $i AND r.version_id = $v;";
    private const string AsOfSql =
        $"SELECT {SqliteRows.Columns} FROM resource_version r WHERE r.type = $t AND r.id = $i AND r.seq <= $s ORDER BY r.version_id DESC LIMIT 1;";
    private const string ByUniqueKeySql =
        $"SELECT {SqliteRows.Columns} FROM unique_key u JOIN resource_version r ON r.seq = u.seq WHERE u.type = $t AND u.key = $k;";
    private const string SequenceSql = "SELECT COALESCE(MAX(seq), 0) FROM resource_version;";

    private readonly SqliteFileLock _fileLock;
    private readonly SqliteSession _writeSession;
    private readonly SqliteWriter _writer;
    private readonly SqliteReaderPool _readers;
    private readonly TimeProvider _time;
    private readonly ILogger<SqliteResourceStore>? _logger;
    private long _lastStampTicks; // touched only by the writer loop
    private int _disposed;

    public SqliteResourceStore(IOptions<SqliteOptions> options, ILogger<SqliteResourceStore>? logger = null)
        : this(options.Value, logger)
    {
    }

    public SqliteResourceStore(SqliteOptions options, ILogger<SqliteResourceStore>? logger = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        _time = time ?? TimeProvider.System;
        _logger = logger;
        var path = System.IO.Path.GetFullPath(options.Path);
        var folder = System.IO.Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);

        _fileLock = SqliteFileLock.Acquire(path);
        try
        {
            _writeSession = SqliteSession.Open(path, readOnly: false);
        }
        catch
        {
            _fileLock.Dispose();
            throw;
        }
        try
        {
            var mode = Convert.ToString(_writeSession.Scalar("PRAGMA journal_mode=WAL;"), CultureInfo.InvariantCulture);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new InvalidOperationException($"SQLite refused WAL journal mode (got '{mode}').");
            var from = SqliteMigrations.CurrentVersionOrZero(_writeSession.Connection);
            var to = SqliteMigrations.Apply(_writeSession.Connection);
            if (to != from)
                logger?.LogInformation("SQLite schema migrated from version {From} to {To}", from, to);
            var chained = SqliteAuditLog.ChainLegacyRows(_writeSession);
            if (chained > 0)
                logger?.LogInformation("Audit trail: {Count} records written before the hash chain were chained", chained);
            AuditIndexer = SqliteAuditIndexer.Open(path, _writeSession, out var reindexed);
            if (reindexed > 0)
                logger?.LogInformation("Audit trail: search index entries of {Count} records rebuilt (the service stopped before writing them)", reindexed);
            _lastStampTicks = Convert.ToInt64(_writeSession.Scalar("SELECT COALESCE(MAX(last_updated), 0) FROM resource_version;"), CultureInfo.InvariantCulture);
        }
        catch
        {
            _writeSession.Dispose();
            _fileLock.Dispose();
            throw;
        }
        Path = path;
        _writer = new SqliteWriter(_writeSession, TransactionEnded);
        _readers = new SqliteReaderPool(path, SqliteAuditIndexer.PathFor(path));
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>The serialised write path. A unit of work submitted here runs in the same transaction as the
    /// other units of its group commit; use the <c>*InTransaction</c> methods inside it to write resources
    /// atomically with other records.</summary>
    internal SqliteWriter Writer => _writer;

    /// <summary>Writes the index entries of audit rows in batches after their commit.</summary>
    internal SqliteAuditIndexer AuditIndexer { get; }

    /// <summary>On the writer loop after each transaction, before any unit's caller hears of it. Committed: the written
    /// keys are stamped (a cached copy read before this commit is never served after the write has returned) and the
    /// audit rows' index entries are handed to the indexer. Failed: whether a failed COMMIT left anything durable is
    /// unknown, so the keys are stamped anyway (a needless reload at worst). Keys of units rolled back to their
    /// savepoint are stamped too, for the same reason.</summary>
    private void TransactionEnded(SqliteSession session, bool committed)
    {
        Changes.Stamp(session.Written);
        if (committed)
            AuditIndexer.Committed(session.AuditIndexPending);
    }

    /// <summary>Group-commit counters of the write path (commits, units and audit records per commit, latency).</summary>
    public GroupCommitStats CommitStats => _writer.Stats;

    /// <summary>Runs a read on a pooled read-only connection (WAL: readers never wait for the writer).</summary>
    internal T Read<T>(Func<SqliteSession, T> read) => _readers.Read(read);

    // ---- IResourceStore: writes ----

    public Task<StoredResource> CreateAsync(ResourceWrite write, CancellationToken ct) =>
        _writer.ExecuteAsync(s => CreateInTransaction(s, write), ct);

    public Task<(StoredResource Resource, bool Created)> CreateIfNoneExistAsync(ResourceWrite write, SearchQuery ifNoneExist, CancellationToken ct) =>
        _writer.ExecuteAsync(s => CreateIfNoneExistInTransaction(s, write, ifNoneExist), ct);

    private (StoredResource Resource, bool Created) CreateIfNoneExistInTransaction(SqliteSession s, ResourceWrite write, SearchQuery ifNoneExist)
    {
        var found = SqliteSearch.Run(s, ifNoneExist, Sequence(s), withTotal: false, limit: 2).Resources;
        return found.Count switch
        {
            0 => (CreateInTransaction(s, write), true),
            1 => (found[0], false),
            _ => throw new PreconditionFailedException("The conditional create criteria match more than one resource."),
        };
    }

    public Task<IReadOnlyList<TransactionOutcome>> TransactAsync(IReadOnlyList<TransactionOperation> operations, CancellationToken ct) =>
        _writer.ExecuteAsync<IReadOnlyList<TransactionOutcome>>(s =>
        {
            // One writer unit: a throw anywhere rolls back every operation of the transaction (its savepoint).
            var outcomes = new TransactionOutcome[operations.Count];
            for (var i = 0; i < operations.Count; i++)
            {
                outcomes[i] = operations[i] switch
                {
                    CreateOperation { IfNoneExist: { } condition } c => Conditional(s, c, condition),
                    CreateOperation c => new TransactionOutcome(CreateInTransaction(s, c.Write), true),
                    UpsertOperation u => UpsertOutcome(UpsertInTransaction(s, u.Write)),
                    DeleteOperation d => new TransactionOutcome(DeleteInTransaction(s, d.ResourceType, d.Id, d.IfMatchVersion, d.Audit), false),
                    _ => throw new ArgumentException($"Unknown transaction operation {operations[i].GetType().Name}."),
                };
            }
            return outcomes;
        }, ct);

    private static TransactionOutcome UpsertOutcome((StoredResource Resource, bool Created) result) => new(result.Resource, result.Created);

    private TransactionOutcome Conditional(SqliteSession s, CreateOperation create, SearchQuery condition)
    {
        if (create.CheckedAt is { } checkedAt && StillAnswered(s, create.Write.ResourceType, condition, create.ExpectedMatchId, checkedAt))
        {
            // Nothing written since the criteria were searched (nor earlier in this transaction) can have changed their
            // answer: searching them again here, on the single writer, cost a third of a bulk load's entry.
            return create.ExpectedMatchId is { } match
                ? new TransactionOutcome(Latest(s, create.Write.ResourceType, match)
                    ?? throw new InvalidOperationException("A matched resource without versions."), false)
                : new TransactionOutcome(CreateInTransaction(s, create.Write), true);
        }
        var (resource, created) = CreateIfNoneExistInTransaction(s, create.Write, condition);
        var matchedId = created ? null : resource.Id;
        if (!string.Equals(matchedId, create.ExpectedMatchId, StringComparison.Ordinal))
            throw new PreconditionFailedException("A conditional create in the transaction matched differently than when the transaction was prepared (a concurrent write); retry the transaction.");
        return new TransactionOutcome(resource, created);
    }

    /// <summary>Whether criteria searched before <paramref name="checkedAt"/> still have the answer found then: they hold
    /// an identifier clause (every value with a value), and no version written since or earlier in the open
    /// transaction carries one of those identifiers (a new match) or is a version of the resource that matched (it
    /// may match no longer). Any other criteria are searched again.</summary>
    private bool StillAnswered(SqliteSession s, string type, SearchQuery condition, string? expectedMatch, long checkedAt)
    {
        var clause = condition.Clauses.FirstOrDefault(c => c is { Parameter: "identifier", Type: SearchParamType.Token, Negate: false, AnyOf.Count: > 0 }
            && c.AnyOf.All(v => !string.IsNullOrEmpty(v.Value)));
        if (clause is null)
            return false;
        foreach (var value in clause.AnyOf)
        {
            if (!Unwritten(WriteStamps.IdentifierKey(type, value.Value!)))
                return false;
        }
        return expectedMatch is null || Unwritten(WriteStamps.ResourceKey(type, expectedMatch));

        bool Unwritten(string key) => Changes.IsCurrent(checkedAt, key) && !s.Written.Contains(key);
    }

    public Task<(StoredResource Resource, bool Created)> UpsertAsync(ResourceWrite write, CancellationToken ct) =>
        _writer.ExecuteAsync(s => UpsertInTransaction(s, write), ct);

    public Task<StoredResource?> DeleteAsync(string resourceType, string id, int? ifMatchVersion, CancellationToken ct, WriteAudit? audit = null) =>
        _writer.ExecuteAsync(s => DeleteInTransaction(s, resourceType, id, ifMatchVersion, audit), ct);

    internal StoredResource CreateInTransaction(SqliteSession s, ResourceWrite write)
    {
        if (Current(s, write.ResourceType, write.Id) is not null)
            throw new ResourceConflictException($"A {write.ResourceType} with this id already exists.");
        CheckUniqueKeys(s, write);
        var version = AppendVersion(s, write.ResourceType, write.Id, 1, previousSeq: null, write);
        Audit(s, write.Audit, version, previous: null);
        return version;
    }

    internal (StoredResource Resource, bool Created) UpsertInTransaction(SqliteSession s, ResourceWrite write)
    {
        var current = Current(s, write.ResourceType, write.Id);
        CheckIfMatch(current, write.IfMatchVersion);
        CheckUniqueKeys(s, write);
        var created = current is null || current.Value.Deleted;
        var previous = write.Audit is null || current is null ? null : Latest(s, write.ResourceType, write.Id);
        var version = AppendVersion(s, write.ResourceType, write.Id, (current?.VersionId ?? 0) + 1, current?.Seq, write);
        Audit(s, write.Audit, version, previous);
        return (version, created);
    }

    internal StoredResource? DeleteInTransaction(SqliteSession s, string resourceType, string id, int? ifMatchVersion, WriteAudit? audit = null)
    {
        var current = Current(s, resourceType, id);
        if (current is null || current.Value.Deleted)
            return null;
        CheckIfMatch(current, ifMatchVersion);
        var previous = audit is null ? null : Latest(s, resourceType, id);
        var version = AppendVersion(s, resourceType, id, current.Value.VersionId + 1, current.Value.Seq, write: null);
        Audit(s, audit, version, previous);
        return version;
    }

    /// <summary>Appends the write's AuditEvent in the same transaction (and savepoint) as its version.</summary>
    private static void Audit(SqliteSession s, WriteAudit? audit, StoredResource version, StoredResource? previous)
    {
        if (audit is not null)
            SqliteAuditLog.AppendInTransaction(s, [audit(version, previous)]);
    }

    private static StoredResource? Latest(SqliteSession s, string type, string id)
    {
        var cmd = s.Command(LatestSql);
        cmd.Parameters.AddWithValue("$t", type);
        cmd.Parameters.AddWithValue("$i", id);
        return SqliteRows.ReadSingle(cmd);
    }

    private readonly record struct CurrentVersion(long Seq, int VersionId, bool Deleted);

    // The writer's per-version statements run through SQLite's own API (SqliteSession.NativeStatement): in a bulk load
    // they run for every entry on the single writer. Named parameters bind by position ($t is 1, $i is 2, ...).
    private static CurrentVersion? Current(SqliteSession s, string type, string id)
    {
        var stmt = s.NativeStatement(CurrentSql);
        SQLitePCL.raw.sqlite3_bind_text(stmt, 1, type);
        SQLitePCL.raw.sqlite3_bind_text(stmt, 2, id);
        if (!s.StepRow(stmt))
            return null;
        var current = new CurrentVersion(SQLitePCL.raw.sqlite3_column_int64(stmt, 0), SQLitePCL.raw.sqlite3_column_int(stmt, 1),
            SQLitePCL.raw.sqlite3_column_int64(stmt, 2) != 0);
        SQLitePCL.raw.sqlite3_reset(stmt);
        return current;
    }

    private static void CheckIfMatch(CurrentVersion? current, int? ifMatchVersion)
    {
        if (ifMatchVersion is { } expected && current?.VersionId != expected)
            throw new PreconditionFailedException("The resource's current version does not match If-Match.");
    }

    private static void CheckUniqueKeys(SqliteSession s, ResourceWrite write)
    {
        foreach (var key in write.UniqueKeys)
        {
            var stmt = s.NativeStatement("SELECT id FROM unique_key WHERE type = $t AND key = $k;");
            SQLitePCL.raw.sqlite3_bind_text(stmt, 1, write.ResourceType);
            SQLitePCL.raw.sqlite3_bind_text(stmt, 2, key);
            if (!s.StepRow(stmt))
                continue;
            var holder = SQLitePCL.raw.sqlite3_column_text(stmt, 0).utf8_to_string();
            SQLitePCL.raw.sqlite3_reset(stmt);
            if (!string.Equals(holder, write.Id, StringComparison.Ordinal))
                throw new ResourceConflictException($"A unique key of this {write.ResourceType} is held by another resource.");
        }
    }

    /// <summary>Inserts the next version (a delete when <paramref name="write"/> is null), closes the previous
    /// one, and replaces the resource's unique keys and (per version) its index entries.</summary>
    private StoredResource AppendVersion(SqliteSession s, string type, string id, int versionId, long? previousSeq, ResourceWrite? write)
    {
        var lastUpdated = NextTimestamp();
        s.Written.UnionWith(WriteStamps.KeysOf(type, id, write?.Index));
        var json = write is null ? "" : ResourceMetaStamp.Apply(write.Json, versionId, lastUpdated);

        var insert = s.NativeStatement(
            "INSERT INTO resource_version (type, id, version_id, last_updated, deleted, json) VALUES ($t, $i, $v, $u, $d, $j);");
        SQLitePCL.raw.sqlite3_bind_text(insert, 1, type);
        SQLitePCL.raw.sqlite3_bind_text(insert, 2, id);
        SQLitePCL.raw.sqlite3_bind_int(insert, 3, versionId);
        SQLitePCL.raw.sqlite3_bind_int64(insert, 4, lastUpdated.UtcTicks);
        SQLitePCL.raw.sqlite3_bind_int(insert, 5, write is null ? 1 : 0);
        SQLitePCL.raw.sqlite3_bind_text(insert, 6, json);
        s.Step(insert);
        var seq = SQLitePCL.raw.sqlite3_last_insert_rowid(s.Connection.Handle); // seq is the rowid

        if (previousSeq is { } previous)
        {
            var close = s.Command("UPDATE resource_version SET valid_to = $seq WHERE seq = $prev;");
            close.Parameters.AddWithValue("$seq", seq);
            close.Parameters.AddWithValue("$prev", previous);
            close.ExecuteNonQuery();

            var freeKeys = s.Command("DELETE FROM unique_key WHERE type = $t AND id = $i;");
            freeKeys.Parameters.AddWithValue("$t", type);
            freeKeys.Parameters.AddWithValue("$i", id);
            freeKeys.ExecuteNonQuery();
        }

        if (write is not null)
        {
            foreach (var key in write.UniqueKeys.Distinct(StringComparer.Ordinal))
            {
                var hold = s.NativeStatement("INSERT INTO unique_key (type, key, id, seq) VALUES ($t, $k, $i, $seq);");
                SQLitePCL.raw.sqlite3_bind_text(hold, 1, type);
                SQLitePCL.raw.sqlite3_bind_text(hold, 2, key);
                SQLitePCL.raw.sqlite3_bind_text(hold, 3, id);
                SQLitePCL.raw.sqlite3_bind_int64(hold, 4, seq);
                s.Step(hold);
            }
            SqliteIndexTables.Resources.WriteAll(s, type, seq, write.Index);
        }

        return new StoredResource(type, id, versionId, lastUpdated, write is null, json, seq);
    }

    /// <summary>Now, at microsecond precision (what the JSON carries), strictly after the previous version's
    /// timestamp so that versions never share a lastUpdated. Called only on the writer loop.</summary>
    private DateTimeOffset NextTimestamp()
    {
        var now = _time.GetUtcNow().UtcTicks;
        now -= now % MicrosecondTicks;
        if (now <= _lastStampTicks)
            now = _lastStampTicks + MicrosecondTicks;
        _lastStampTicks = now;
        return new DateTimeOffset(now, TimeSpan.Zero);
    }

    private static long Sequence(SqliteSession s) =>
        Convert.ToInt64(s.Command(SequenceSql).ExecuteScalar(), CultureInfo.InvariantCulture);

    // ---- IResourceStore: reads ----

    public Task<StoredResource?> ReadAsync(string resourceType, string id, CancellationToken ct) =>
        ReadOne(LatestSql, resourceType, id, null, ct);

    public Task<StoredResource?> ReadVersionAsync(string resourceType, string id, int versionId, CancellationToken ct) =>
        ReadOne(VersionSql, resourceType, id, ("$v", versionId), ct);

    public Task<StoredResource?> ReadAsOfAsync(string resourceType, string id, long sequence, CancellationToken ct) =>
        ReadOne(AsOfSql, resourceType, id, ("$s", sequence), ct);

    private Task<StoredResource?> ReadOne(string sql, string type, string id, (string Name, object Value)? extra, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_readers.Read(s =>
        {
            var cmd = s.Command(sql);
            cmd.Parameters.AddWithValue("$t", type);
            cmd.Parameters.AddWithValue("$i", id);
            if (extra is { } p)
                cmd.Parameters.AddWithValue(p.Name, p.Value);
            return SqliteRows.ReadSingle(cmd);
        }));
    }

    public Task<HistoryPage> HistoryAsync(string resourceType, string? id, HistoryQuery query, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var filter = "r.type = $t"
            + (id is null ? "" : " AND r.id = $i")
            + (query.Since is null ? "" : " AND r.last_updated >= $since");
        return Task.FromResult(_readers.Read(s =>
        {
            SqliteCommand Prepare(string sql)
            {
                var cmd = s.Command(sql);
                cmd.Parameters.AddWithValue("$t", resourceType);
                if (id is not null)
                    cmd.Parameters.AddWithValue("$i", id);
                if (query.Since is { } since)
                    cmd.Parameters.AddWithValue("$since", since.UtcTicks);
                return cmd;
            }

            var total = Convert.ToInt32(Prepare($"SELECT COUNT(*) FROM resource_version r WHERE {filter};").ExecuteScalar(), CultureInfo.InvariantCulture);
            if (query.Count <= 0)
                return new HistoryPage([], total, null);
            var page = Prepare($"SELECT {SqliteRows.Columns} FROM resource_version r WHERE {filter}"
                + (query.Before is null ? "" : " AND r.seq < $before") + " ORDER BY r.seq DESC LIMIT $n;");
            if (query.Before is { } before)
                page.Parameters.AddWithValue("$before", before);
            page.Parameters.AddWithValue("$n", query.Count + 1);
            var versions = SqliteRows.ReadAll(page);
            long? next = null;
            if (versions.Count > query.Count)
            {
                versions.RemoveAt(versions.Count - 1);
                next = versions[^1].Sequence;
            }
            return new HistoryPage(versions, total, next);
        }));
    }

    public Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_readers.Read(s =>
        {
            var now = Sequence(s);
            var snapshot = query.Snapshot is { } requested ? Math.Clamp(requested, 0, now) : now;
            return SqliteSearch.Run(s, query, snapshot, withTotal: true);
        }));
    }

    /// <summary>Rows read per statement of a stream. SQLite reads a chunk's rows in sequence order; the larger the
    /// chunk, the more of them share the table's interior pages, which a reader's 2 MiB cache cannot keep across the
    /// rows of a large file read in id order.</summary>
    internal const int StreamChunk = 4096;

    public async IAsyncEnumerable<StoredResource> StreamAsync(SearchQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var session = _readers.Rent();
        try
        {
            var now = Sequence(session);
            var snapshot = query.Snapshot is { } requested ? Math.Clamp(requested, 0, now) : now;
            var sequences = new List<long>();
            using (var order = SqliteSearch.StreamOrderCommand(session, query, snapshot))
            using (var rows = order.Command.ExecuteReader())
            {
                while (rows.Read())
                {
                    ct.ThrowIfCancellationRequested();
                    sequences.Add(rows.GetInt64(0));
                }
            }
            // A version's row never changes once written but for valid_to, so the rows found at the snapshot are
            // read as they were, however long the caller takes.
            for (var first = 0; first < sequences.Count; first += StreamChunk)
            {
                ct.ThrowIfCancellationRequested();
                var chunk = sequences.GetRange(first, Math.Min(StreamChunk, sequences.Count - first));
                using var statement = session.Prepared(SqliteSearch.RowsBySequenceSql);
                statement.Command.Parameters.AddWithValue("$seqs", System.Text.Json.JsonSerializer.Serialize(chunk));
                foreach (var resource in SqliteRows.ReadAll(statement.Command))
                {
                    yield return resource;
                }
                await Task.Yield(); // a long stream must not hold one thread-pool thread throughout
            }
        }
        finally
        {
            _readers.Return(session);
        }
    }

    public Task<StoredResource?> FindByUniqueKeyAsync(string resourceType, string key, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_readers.Read(s =>
        {
            var cmd = s.Command(ByUniqueKeySql);
            cmd.Parameters.AddWithValue("$t", resourceType);
            cmd.Parameters.AddWithValue("$k", key);
            return SqliteRows.ReadSingle(cmd);
        }));
    }

    public Task<long> SequenceAtAsync(DateTimeOffset instant, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_readers.Read(s =>
        {
            var cmd = s.Command("SELECT COALESCE(MAX(seq), 0) FROM resource_version WHERE last_updated <= $at;");
            cmd.Parameters.AddWithValue("$at", instant.UtcTicks);
            return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }));
    }

    public Task<long> CurrentSequenceAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult(_readers.Read(Sequence));
    }

    /// <summary>This process holds the file alone (see <see cref="SqliteFileLock"/>) and every write goes through its
    /// one writer, which stamps the written keys after each commit.</summary>
    public WriteStamps Changes { get; } = new();

    WriteStamps? IResourceStore.Changes => Changes;

    public Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(_readers.Read(s => Convert.ToInt64(s.Command("SELECT 1;").ExecuteScalar(), CultureInfo.InvariantCulture) == 1));
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }

    /// <summary>Reads a PRAGMA on the write connection and on a read connection (diagnostics and tests).</summary>
    internal async Task<(string Writer, string Reader)> PragmaAsync(string name)
    {
        var sql = $"PRAGMA {name};";
        var writer = await _writer.ExecuteAsync(s => Convert.ToString(s.Command(sql).ExecuteScalar(), CultureInfo.InvariantCulture) ?? "", CancellationToken.None).ConfigureAwait(false);
        var reader = _readers.Read(s => Convert.ToString(s.Command(sql).ExecuteScalar(), CultureInfo.InvariantCulture) ?? "");
        return (writer, reader);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _writer.DisposeAsync().ConfigureAwait(false);
        await AuditIndexer.DisposeAsync().ConfigureAwait(false);
        var stats = _writer.Stats;
        _logger?.LogInformation(
            "SQLite writer: {Commits} commits, {UnitsPerCommit:F1} units and {RecordsPerCommit:F1} audit records per commit, mean commit {CommitMs:F3} ms, mean transaction {TransactionMs:F3} ms, largest {Largest} units",
            stats.Commits, stats.UnitsPerCommit, stats.AuditRecordsPerCommit, stats.MeanCommitLatency.TotalMilliseconds,
            stats.MeanTransactionLatency.TotalMilliseconds, stats.LargestCommit);
        _readers.Dispose();
        _writeSession.Dispose();
        _fileLock.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
