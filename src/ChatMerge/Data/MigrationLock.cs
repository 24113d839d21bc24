using Npgsql;

namespace ChatMerge.Data;

/// <summary>
/// Serialises start-up migrations of several instances on one PostgreSQL database. EF Core's own
/// migration lock does not cover a fresh database: two instances starting together both see no
/// history and both try to create the same tables. A session-level advisory lock, taken on a
/// connection of its own before EF looks at the history, makes the second instance wait and then
/// find nothing left to apply. The lock is per database and ends with the connection, so a
/// crashed instance cannot leave it held.
/// </summary>
internal static class MigrationLock
{
    // Any fixed number works; this one is "ChatMerg" in ASCII so it is recognisable in pg_locks.
    private const long Key = 0x436861744D657267;

    public static async Task<IAsyncDisposable> AcquireAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
        {
            command.Parameters.AddWithValue("key", Key);
            // Another instance may be migrating a large database; wait for it rather than give up.
            command.CommandTimeout = 0;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return connection;
    }
}
