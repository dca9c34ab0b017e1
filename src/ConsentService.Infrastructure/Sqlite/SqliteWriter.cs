using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// The single writer of the database (SQLite allows one). Callers submit units of work; one loop runs them on
/// the one write connection. Whatever is queued when the loop is free is run in ONE <c>BEGIN IMMEDIATE</c>
/// transaction (group commit: many writes share one fsync), each unit inside its own savepoint so that a unit
/// that throws (a conflict, a failed precondition) is rolled back alone. A unit's task completes only after the
/// transaction has committed, i.e. after the data is durable.
/// </summary>
/// <remarks>
/// A unit sees the writes of the units before it (same connection and transaction), so checks done inside a
/// unit (If-Match, existence, unique keys) are serialised with every other write. To commit further records
/// atomically with a resource write (e.g. an audit record), submit one unit that does both through the same
/// <see cref="SqliteSession"/>.
/// </remarks>
internal sealed class SqliteWriter : IAsyncDisposable
{
    private const int MaxUnitsPerTransaction = 512;

    private readonly SqliteSession _session;
    private readonly Action<SqliteSession, bool> _ended;
    private readonly Channel<IUnit> _queue = Channel.CreateUnbounded<IUnit>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    private long _commits;
    private long _units;
    private long _auditRecords;
    private long _failedTransactions;
    private long _commitTicks;
    private long _transactionTicks;
    private int _largestCommit;

    /// <param name="ended">Called on the writer loop after each transaction, with whether it committed, before any
    /// unit's caller hears of the outcome: what the session collected (<see cref="SqliteSession.Written"/>,
    /// <see cref="SqliteSession.AuditIndexPending"/>) is handed on there.</param>
    public SqliteWriter(SqliteSession session, Action<SqliteSession, bool> ended)
    {
        _session = session;
        _ended = ended;
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Runs <paramref name="work"/> inside a write transaction and completes after the commit.</summary>
    public Task<T> ExecuteAsync<T>(Func<SqliteSession, T> work, CancellationToken ct)
    {
        var unit = new Unit<T>(work, ct);
        if (!_queue.Writer.TryWrite(unit))
            throw new ObjectDisposedException(nameof(SqliteWriter));
        return unit.Task;
    }

    /// <summary>Counters since start (read without locking; each is individually consistent).</summary>
    public GroupCommitStats Stats => new(
        Commits: Interlocked.Read(ref _commits),
        Units: Interlocked.Read(ref _units),
        AuditRecords: Interlocked.Read(ref _auditRecords),
        FailedTransactions: Interlocked.Read(ref _failedTransactions),
        LargestCommit: Volatile.Read(ref _largestCommit),
        CommitTime: Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _commitTicks)),
        TransactionTime: Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _transactionTicks)));

    private async Task RunAsync()
    {
        var batch = new List<IUnit>(MaxUnitsPerTransaction);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxUnitsPerTransaction && _queue.Reader.TryRead(out var unit))
            {
                if (unit.IsCancellationRequested)
                    unit.Cancel();
                else
                    batch.Add(unit);
            }
            if (batch.Count > 0)
                RunBatch(batch);
        }
    }

    private void RunBatch(List<IUnit> batch)
    {
        var started = Stopwatch.GetTimestamp();
        long committing;
        _session.AuditRecordsInTransaction = 0;
        _session.AuditTail = null;
        _session.Written.Clear();
        _session.AuditIndexPending.Clear();
        try
        {
            using (var tx = _session.Connection.BeginTransaction(deferred: false)) // BEGIN IMMEDIATE
            {
                _session.Transaction = tx;
                try
                {
                    if (batch.Count == 1)
                    {
                        if (!RunAlone(batch[0]))
                        {
                            tx.Rollback();
                            _ended(_session, false);
                            return;
                        }
                    }
                    else
                    {
                        foreach (var unit in batch)
                            RunInSavepoint(unit);
                    }
                    committing = Stopwatch.GetTimestamp();
                    tx.Commit();
                }
                finally
                {
                    _session.Transaction = null;
                }
            }
        }
        catch (Exception ex)
        {
            _ended(_session, false);
            Interlocked.Increment(ref _failedTransactions);
            foreach (var unit in batch)
                unit.Fail(ex); // no-op for units that already failed on their own
            return;
        }
        var done = Stopwatch.GetTimestamp();
        _ended(_session, true);
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _units, batch.Count);
        Interlocked.Add(ref _auditRecords, _session.AuditRecordsInTransaction);
        Interlocked.Add(ref _commitTicks, done - committing);
        Interlocked.Add(ref _transactionTicks, done - started);
        if (batch.Count > _largestCommit)
            Volatile.Write(ref _largestCommit, batch.Count);
        if (_session.AuditRecordsInTransaction > 0)
        {
            Application.Observability.ConsentTelemetry.AuditCommitDuration.Record(Stopwatch.GetElapsedTime(committing, done).TotalSeconds);
            Application.Observability.ConsentTelemetry.AuditDecisionsPerCommit.Record(_session.AuditRecordsInTransaction);
        }
        foreach (var unit in batch)
            unit.Publish();
    }

    /// <summary>A unit alone in its transaction runs without a savepoint: SQLite copies every existing page a savepoint
    /// changes into the sub-journal before changing it (for <c>ROLLBACK TO</c>), which for a large unit (a transaction
    /// bundle, a batch of decisions, a batch of audit index entries) wrote more than the WAL itself; a failed unit is
    /// undone by rolling the transaction back. Returns whether the unit succeeded.</summary>
    private bool RunAlone(IUnit unit)
    {
        try
        {
            unit.Run(_session);
            return true;
        }
        catch (Exception ex)
        {
            unit.Fail(ex);
            return false;
        }
    }

    private void RunInSavepoint(IUnit unit)
    {
        _session.Command("SAVEPOINT unit;").ExecuteNonQuery();
        var auditRecords = _session.AuditRecordsInTransaction;
        var auditTail = _session.AuditTail;
        var auditIndexPending = _session.AuditIndexPending.Count;
        try
        {
            unit.Run(_session);
            _session.Command("RELEASE unit;").ExecuteNonQuery();
        }
        catch (Exception ex)
        {
            _session.AuditRecordsInTransaction = auditRecords;
            _session.AuditTail = auditTail;
            _session.AuditIndexPending.RemoveRange(auditIndexPending, _session.AuditIndexPending.Count - auditIndexPending);
            _session.Command("ROLLBACK TO unit;").ExecuteNonQuery();
            _session.Command("RELEASE unit;").ExecuteNonQuery();
            unit.Fail(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private interface IUnit
    {
        bool IsCancellationRequested { get; }
        void Run(SqliteSession session);
        void Publish();
        void Fail(Exception ex);
        void Cancel();
    }

    private sealed class Unit<T>(Func<SqliteSession, T> work, CancellationToken ct) : IUnit
    {
        private readonly TaskCompletionSource<T> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private bool _ran;

        public Task<T> Task => _tcs.Task;
        public bool IsCancellationRequested => ct.IsCancellationRequested;

        public void Run(SqliteSession session)
        {
            _result = work(session);
            _ran = true;
        }

        public void Publish()
        {
            if (_ran)
                _tcs.TrySetResult(_result!);
        }

        public void Fail(Exception ex) => _tcs.TrySetException(ex);
        public void Cancel() => _tcs.TrySetCanceled(ct);
    }
}

/// <summary>Group-commit counters of the single writer, for metrics and benchmarks.</summary>
/// <param name="Commits">Transactions committed.</param>
/// <param name="Units">Units of work committed (each write request or audit append is one unit).</param>
/// <param name="AuditRecords">Audit records committed (a batch decision is one unit of many records).</param>
/// <param name="FailedTransactions">Transactions that failed as a whole (every unit in them failed).</param>
/// <param name="LargestCommit">The most units one transaction carried.</param>
/// <param name="CommitTime">Total time spent in COMMIT (the WAL fsync with synchronous=FULL).</param>
/// <param name="TransactionTime">Total time from BEGIN to the end of COMMIT.</param>
public sealed record GroupCommitStats(long Commits, long Units, long AuditRecords, long FailedTransactions, int LargestCommit,
    TimeSpan CommitTime, TimeSpan TransactionTime)
{
    public double UnitsPerCommit => Commits == 0 ? 0 : (double)Units / Commits;

    public double AuditRecordsPerCommit => Commits == 0 ? 0 : (double)AuditRecords / Commits;

    public TimeSpan MeanCommitLatency => Commits == 0 ? TimeSpan.Zero : CommitTime / Commits;

    public TimeSpan MeanTransactionLatency => Commits == 0 ? TimeSpan.Zero : TransactionTime / Commits;
}
