using System.Data.Common;
using System.Runtime.CompilerServices;
using ChatMerge.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace ChatMerge.Data;

/// <summary>
/// The PostgreSQL side of start-up: opening the database of DATABASE_URL (creating it first when it
/// does not exist and the role may create databases) and migrating it. Apart and never inlined, so
/// that a server on SQLite does not load Npgsql.
/// </summary>
internal static class PostgresDatabase
{
    /// <summary>Opens <paramref name="connection"/>, creating its database first if it does not exist.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task OpenCreatingAsync(DbConnection connection, string connectionString)
    {
        try
        {
            await connection.OpenAsync();
            return;
        }
        catch (PostgresException missing) when (missing.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            await CreateAsync(connectionString);
        }
        await connection.OpenAsync();
    }

    /// <summary>
    /// Applies the pending migrations when <paramref name="migrate"/> says there are some, one instance
    /// at a time (<see cref="MigrationLock"/>), then runs <paramref name="thenUnderLock"/> while the
    /// other instances still wait. On a fresh database EF Core reads its history table before creating
    /// it and logs the refused read as an error, though it expects it: on this context that read is
    /// logged at debug level.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task MigrateAsync(string connectionString, ILoggerFactory loggers, bool migrate, Action thenUnderLock)
    {
        await using var migrationLock = await MigrationLock.AcquireAsync(connectionString);
        if (migrate)
            await MigrateUnderLockAsync(connectionString, loggers);
        thenUnderLock();
    }

    private static async Task MigrateUnderLockAsync(string connectionString, ILoggerFactory loggers)
    {
        var options = new DbContextOptionsBuilder<PostgresChatMergeDbContext>().UseLoggerFactory(loggers)
            .ConfigureWarnings(warnings => warnings.Log((RelationalEventId.CommandError, LogLevel.Debug)));
        DataExtensions.UsePostgres(options, connectionString);
        await using var db = new PostgresChatMergeDbContext(options.Options);
        await db.Database.MigrateAsync();
    }

    /// <summary>
    /// Closes the idle connections of the pool of <paramref name="connectionString"/>. After PostgreSQL
    /// ended one of them (a restart, a failover, pg_terminate_backend) the others are most likely dead
    /// too, and each would fail the next statement sent on it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ClearPool(string connectionString)
    {
        using var connection = new NpgsqlConnection(connectionString);
        NpgsqlConnection.ClearPool(connection);
    }

    private static async Task CreateAsync(string connectionString)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var name = target.Database ?? throw new SettingsException("DATABASE_URL names no database.");
        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var admin = new NpgsqlConnection(maintenance.ToString());
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"")}\"", admin);
        try
        {
            await create.ExecuteNonQueryAsync();
        }
        catch (PostgresException created) when (created.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            // Another instance starting at the same moment created it first: "already exists" if it had
            // committed when this CREATE began, a unique violation in pg_database if it was still under way.
        }
    }
}
