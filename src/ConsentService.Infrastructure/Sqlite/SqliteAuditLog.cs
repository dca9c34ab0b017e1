using System.Globalization;
using ConsentService.Application.Audit;
using ConsentService.Application.Ports;
using Microsoft.Data.Sqlite;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// The audit trail in the same SQLite file as the resources, appended through the store's single writer, so
/// concurrent appends share one transaction and one fsync (group commit) and an append completes only after
/// its commit (synchronous=FULL). One writer, one hash chain (<see cref="AuditChain.SingleWriter"/>): each row's
/// seq is its position on the chain and is assigned inside the write transaction, so readers (which see only
/// committed rows, WAL) never see a gap that a later commit fills.
/// </summary>
public sealed class SqliteAuditLog(SqliteResourceStore store) : IAuditLog
{
    private const string Columns = "seq, id, recorded, json, chain, prev_hash, hash";
    private const string TailSql = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1;";
    private const string InsertSql =
        "INSERT INTO audit_event (seq, id, recorded, json, chain, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?);";

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        if (records.Count == 0)
            return Task.CompletedTask;
        // The index entries are packed here, on the caller's threads (all cores for a batch or a cohort's chunk),
        // not on the one writer loop that every commit waits for.
        var packed = new byte[records.Count][];
        if (records.Count >= ParallelPacking)
            Parallel.For(0, records.Count, i => packed[i] = PackedIndexEntries.Pack(records[i].Index));
        else
            for (var i = 0; i < records.Count; i++)
                packed[i] = PackedIndexEntries.Pack(records[i].Index);
        return store.Writer.ExecuteAsync(session => AppendInTransaction(session, records, packed), ct);
    }

    private const int ParallelPacking = 256;

    /// <summary>Chains and inserts <paramref name="records"/> (with their index entries, packed here unless
    /// <paramref name="packedIndex"/> has them) in the writer's open transaction. Used for decisions and, from
    /// <see cref="SqliteResourceStore"/>, with resource versions.</summary>
    internal static int AppendInTransaction(SqliteSession session, IReadOnlyList<AuditRecord> records, byte[][]? packedIndex = null)
    {
        var (seq, previous) = session.AuditTail ?? Tail(session);
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            seq++;
            var hash = AuditChain.Hash(previous, seq, record.Id, record.Recorded, record.Json);
            Insert(session, seq, record, previous, hash);
            // written in a later batch (SqliteAuditIndexer)
            session.AuditIndexPending.Add((seq, hash, packedIndex?[i] ?? PackedIndexEntries.Pack(record.Index)));
            previous = hash;
            session.AuditTail = (seq, hash);
        }
        session.AuditRecordsInTransaction += records.Count;
        return records.Count;
    }

    private static (long Seq, string Hash) Tail(SqliteSession session)
    {
        using var row = session.Command(TailSql).ExecuteReader();
        return row.Read() && !row.IsDBNull(1) ? (row.GetInt64(0), row.GetString(1)) : (0, AuditChain.Genesis);
    }

    private static void Insert(SqliteSession session, long seq, AuditRecord record, string previous, string hash)
    {
        // Every decision's record: bound by position through SQLite's API (see SqliteSession.NativeStatement).
        var insert = session.NativeStatement(InsertSql);
        SQLitePCL.raw.sqlite3_bind_int64(insert, 1, seq);
        SQLitePCL.raw.sqlite3_bind_text(insert, 2, record.Id);
        SQLitePCL.raw.sqlite3_bind_int64(insert, 3, record.Recorded.UtcTicks);
        SQLitePCL.raw.sqlite3_bind_text(insert, 4, record.Json);
        SQLitePCL.raw.sqlite3_bind_text(insert, 5, AuditChain.SingleWriter);
        SQLitePCL.raw.sqlite3_bind_text(insert, 6, previous);
        SQLitePCL.raw.sqlite3_bind_text(insert, 7, hash);
        session.Step(insert);
    }

    /// <summary>Rows written before the chain existed (schema version 3) get their hashes, in seq order, when the
    /// store opens (their index entries come from <see cref="SqliteAuditIndexer.Recover"/> like any unindexed row). Runs on the write connection before the writer starts.</summary>
    internal static int ChainLegacyRows(SqliteSession session)
    {
        var legacy = new List<(long Seq, AuditRecord Record)>();
        using (var cmd = session.AdHoc("SELECT seq, id, recorded, json FROM audit_event WHERE hash IS NULL ORDER BY seq;"))
        using (var row = cmd.ExecuteReader())
        {
            while (row.Read())
                legacy.Add((row.GetInt64(0), new AuditRecord(row.GetString(1), new DateTimeOffset(row.GetInt64(2), TimeSpan.Zero), row.GetString(3))));
        }
        if (legacy.Count == 0)
            return 0;
        using var tx = session.Connection.BeginTransaction();
        session.Transaction = tx;
        try
        {
            var previous = AuditChain.Genesis;
            foreach (var (seq, record) in legacy)
            {
                using (var before = session.AdHoc("SELECT hash FROM audit_event WHERE seq < $seq AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1;"))
                {
                    before.Parameters.AddWithValue("$seq", seq);
                    previous = before.ExecuteScalar() as string ?? AuditChain.Genesis;
                }
                var hash = AuditChain.Hash(previous, seq, record.Id, record.Recorded, record.Json);
                using (var update = session.AdHoc("UPDATE audit_event SET chain = $chain, prev_hash = $prev, hash = $hash WHERE seq = $seq;"))
                {
                    update.Parameters.AddWithValue("$chain", AuditChain.SingleWriter);
                    update.Parameters.AddWithValue("$prev", previous);
                    update.Parameters.AddWithValue("$hash", hash);
                    update.Parameters.AddWithValue("$seq", seq);
                    update.ExecuteNonQuery();
                }
            }
            tx.Commit();
        }
        finally
        {
            session.Transaction = null;
        }
        return legacy.Count;
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

    public async Task<SearchPage> SearchAsync(SearchQuery query, CancellationToken ct)
    {
        // Every row committed before this search has its index entries before the index is read.
        await store.AuditIndexer.FlushAsync(ct).ConfigureAwait(false);
        return store.Read(session =>
        {
            var now = Convert.ToInt64(session.Command("SELECT COALESCE(MAX(seq), 0) FROM audit_event;").ExecuteScalar(), CultureInfo.InvariantCulture);
            var snapshot = query.Snapshot is { } requested ? Math.Clamp(requested, 0, now) : now;
            return SqliteSearch.Run(session, query, snapshot, withTotal: true, tables: SqliteIndexTables.Audit);
        });
    }

    /// <summary>An empty unit through the single writer: it answers only when the writer loop runs and can begin
    /// and commit a write transaction (an empty one: no fsync).</summary>
    public async Task<bool> IsWritableAsync(CancellationToken ct) =>
        await store.Writer.ExecuteAsync(_ => true, ct).ConfigureAwait(false);

    public Task<IReadOnlyList<string>> ChainsAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<string>>(store.Read(session =>
        {
            var chains = new List<string>();
            using var row = session.Command("SELECT DISTINCT chain FROM audit_event ORDER BY chain;").ExecuteReader();
            while (row.Read())
                chains.Add(row.GetString(0));
            return chains;
        }));
    }

    public Task<IReadOnlyList<ChainedAuditRecord>> ReadChainAsync(string chain, long afterSequence, int limit, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<ChainedAuditRecord>>(store.Read(session =>
        {
            var cmd = session.Command($"SELECT {Columns} FROM audit_event WHERE chain = $chain AND seq > $after ORDER BY seq LIMIT $limit;");
            cmd.Parameters.AddWithValue("$chain", chain);
            cmd.Parameters.AddWithValue("$after", afterSequence);
            cmd.Parameters.AddWithValue("$limit", Math.Max(0, limit));
            var records = new List<ChainedAuditRecord>();
            using var row = cmd.ExecuteReader();
            while (row.Read())
                records.Add(ReadChained(row));
            return records;
        }));
    }

    private static ChainedAuditRecord ReadChained(SqliteDataReader row) => new(
        Chain: row.GetString(4),
        Sequence: row.GetInt64(0),
        Record: new AuditRecord(row.GetString(1), new DateTimeOffset(row.GetInt64(2), TimeSpan.Zero), row.GetString(3)),
        PreviousHash: row.IsDBNull(5) ? "" : row.GetString(5),
        Hash: row.IsDBNull(6) ? "" : row.GetString(6));
}
