using System.Globalization;
using ConsentService.Application.Ports;
using ConsentService.Application.Search;
using Hl7.Fhir.Serialization;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// Writes the search index entries of audit rows after the rows themselves, many rows at a time. An audit row
/// (the record, its hash) is committed with the write or decision it records; its index entries (about fifteen,
/// spread over b-trees with random keys) are kept in memory once that commit is durable and written by one writer
/// unit per batch, so a page of an index b-tree is written to the WAL once per batch instead of once per group
/// commit. <c>audit_index_state.upto</c> says which rows have their entries, in the same transaction as the entries.
/// </summary>
/// <remarks>
/// Searches call <see cref="FlushAsync"/> first, so a search sees every audit row committed before it began.
/// After a crash the entries of rows above <c>upto</c> are rebuilt from the rows' JSON when the store opens
/// (<see cref="Recover"/>). Memory is bounded: a batch is scheduled once <see cref="BatchRows"/> rows wait, or
/// <see cref="Delay"/> after the first waiting row.
/// </remarks>
internal sealed class SqliteAuditIndexer
{
    public const int BatchRows = 8192;
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(200);

    private const string UpToSql = "SELECT upto FROM audit_index_state WHERE id = 0;";

    private readonly Lock _lock = new();
    private readonly List<(long Seq, IReadOnlyList<SearchIndexEntry> Index)> _waiting = [];
    private SqliteWriter? _writer;
    private Task? _scheduled;

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

    public void Start(SqliteWriter writer) => _writer = writer;

    /// <summary>On the writer loop, after a commit: the committed rows' entries now wait for a batch.</summary>
    public void Committed(List<(long Seq, IReadOnlyList<SearchIndexEntry> Index)> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        lock (_lock)
        {
            _waiting.AddRange(rows);
            if (_scheduled is null)
            {
                _scheduled = ScheduleAsync(_waiting.Count >= BatchRows ? TimeSpan.Zero : Delay);
            }
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
        catch (Exception)
        {
            // The rows stay waiting; the next commit or search schedules another batch.
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
        var writer = _writer ?? throw new InvalidOperationException("The audit indexer has not been started.");
        var upTo = await writer.ExecuteAsync(IndexWaiting, ct).ConfigureAwait(false);
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

    /// <summary>A writer unit: writes the entries of waiting rows above <c>upto</c> (at most a few batches) and
    /// raises <c>upto</c>; returns the new <c>upto</c>. The waiting list is trimmed by the caller once committed.</summary>
    private long IndexWaiting(SqliteSession session)
    {
        var upTo = UpTo(session);
        (long Seq, IReadOnlyList<SearchIndexEntry> Index)[] rows;
        lock (_lock)
        {
            rows = _waiting.Where(r => r.Seq > upTo).Take(BatchRows * 4).ToArray();
        }
        if (rows.Length == 0)
        {
            return upTo;
        }
        foreach (var (seq, index) in rows)
        {
            SqliteIndexTables.Audit.WriteAll(session, "AuditEvent", seq, index);
        }
        var last = rows[^1].Seq;
        SetUpTo(session, last);
        return last;
    }

    /// <summary>When the store opens (before the writer starts): rebuilds the entries of rows committed above
    /// <c>upto</c> (those a crash left without entries) from their JSON. Returns how many rows it indexed.</summary>
    public static int Recover(SqliteSession session)
    {
        var upTo = UpTo(session);
        var rows = new List<(long Seq, string Json)>();
        using (var cmd = session.AdHoc("SELECT seq, json FROM audit_event WHERE seq > $upto ORDER BY seq;"))
        {
            cmd.Parameters.AddWithValue("$upto", upTo);
            using var row = cmd.ExecuteReader();
            while (row.Read())
            {
                rows.Add((row.GetInt64(0), row.GetString(1)));
            }
        }
        if (rows.Count == 0)
        {
            return 0;
        }
        using var tx = session.Connection.BeginTransaction();
        session.Transaction = tx;
        try
        {
            foreach (var (seq, json) in rows)
            {
                SqliteIndexTables.Audit.WriteAll(session, "AuditEvent", seq, SearchIndexer.Extract(FhirJsonDeserializer.RECOVERABLE.DeserializeResource(json)));
            }
            SetUpTo(session, rows[^1].Seq);
            tx.Commit();
        }
        finally
        {
            session.Transaction = null;
        }
        return rows.Count;
    }

    private static long UpTo(SqliteSession session) =>
        Convert.ToInt64(session.Command(UpToSql).ExecuteScalar(), CultureInfo.InvariantCulture);

    private static void SetUpTo(SqliteSession session, long upTo)
    {
        var cmd = session.Command("UPDATE audit_index_state SET upto = $upto WHERE id = 0;");
        cmd.Parameters.AddWithValue("$upto", upTo);
        cmd.ExecuteNonQuery();
    }
}
