using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChatMerge.Data;

/// <summary>
/// Copies SQLite's write-ahead log into the database file in the background. By default the
/// connection whose commit takes the log past 1,000 pages does it inside that commit, syncing the
/// file to disk: one completion in ~80 waited milliseconds for it, which set the relay's p99 time to
/// first token. Our connections do not checkpoint (<c>wal_autocheckpoint=0</c>, see
/// <see cref="DataExtensions.SqliteConnectionPragmas"/>); this service does, a few times a second,
/// in PASSIVE mode: it waits for no reader and blocks no writer, and with nothing new in the log it
/// costs one look at the log's header.
/// <para>
/// A log is started over by the first write after it was copied in full, which seldom happens while
/// writes go on: some land during each copy. So once the log holds <see cref="StartOverFrames"/>
/// pages, the last few are copied while this process's writers wait for their turn
/// (<see cref="SqliteWriteTurns"/>): a short wait every 16 MB of writes instead of a long one every
/// 4 MB. A reader still in the old part of the log can keep it from starting over; the next look
/// tries again.
/// </para>
/// </summary>
internal sealed partial class SqliteCheckpointer(DatabaseSettings settings, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>16 MB of 4 KB pages.</summary>
    public const int StartOverFrames = 4096;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        SqliteConnection? connection = null;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    connection ??= Open();
                    if (Checkpoint(connection) < StartOverFrames)
                        continue;
                    using (await SqliteWriteTurns.WaitAsync(connection.DataSource, stoppingToken))
                        Checkpoint(connection);
                }
                catch (SqliteException e)
                {
                    // A full disk, say: the log keeps the data meanwhile. Try again on a fresh connection.
                    LogCheckpointFailed(logger, e.SqliteErrorCode);
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(settings.ConnectionString);
        connection.Open();
        // A new handle learns that the file is in WAL mode from its first read; until then a
        // checkpoint through it does nothing (SQLite answers -1 pages).
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT COUNT(*) FROM sqlite_master";
        read.ExecuteScalar();
        return connection;
    }

    /// <summary>Copies what it can of the log; returns the pages in the log.</summary>
    private static int Checkpoint(SqliteConnection connection)
    {
        var result = raw.sqlite3_wal_checkpoint_v2(connection.Handle, null, raw.SQLITE_CHECKPOINT_PASSIVE, out var logFrames, out _);
        // Busy: another checkpoint (another process on the same file) is under way; next time then.
        if (result is not (raw.SQLITE_OK or raw.SQLITE_BUSY))
            SqliteException.ThrowExceptionForRC(result, connection.Handle);
        return logFrames;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Copying the SQLite log into the database failed (SQLite error {Code}); trying again.")]
    private static partial void LogCheckpointFailed(ILogger logger, int code);
}
