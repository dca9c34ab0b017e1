namespace ConsentService.Infrastructure.Sqlite;

/// <summary>
/// Holds the database file for one store in one process: an exclusive lock on <c>&lt;file&gt;.lock</c> (flock on
/// Linux) taken before the file is opened and released when the store is disposed or the process dies. The store
/// promises in-process caches that it sees every write (<see cref="Application.Ports.WriteStamps"/>); a second
/// process writing the same file would break that promise silently, so it is refused at start instead.
/// </summary>
internal sealed class SqliteFileLock : IDisposable
{
    private readonly FileStream _lock;

    private SqliteFileLock(FileStream stream) => _lock = stream;

    public static SqliteFileLock Acquire(string databasePath)
    {
        var lockPath = databasePath + ".lock";
        try
        {
            return new SqliteFileLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"The SQLite database {databasePath} is held by another ConsentService store (lock file {lockPath}); one process (one store) may use it at a time.", e);
        }
    }

    public void Dispose() => _lock.Dispose();
}
