using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ChatMerge.Data;

internal static class DataExtensions
{
    /// <summary>Set on every SQLite connection: wait for the writer lock instead of failing, sync at checkpoints (safe in WAL), enforce foreign keys.</summary>
    public const string SqliteConnectionPragmas = "PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";

    public static IHostApplicationBuilder AddData(this IHostApplicationBuilder builder)
    {
        var settings = DatabaseSettings.Parse(builder.Configuration["DATABASE_URL"]);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ChatMessages>();
        if (settings.Provider == DatabaseProvider.Sqlite)
            builder.Services.AddDbContextPool<ChatMergeDbContext, SqliteChatMergeDbContext>(options => UseSqlite(options, settings.ConnectionString));
        else
            builder.Services.AddDbContextPool<ChatMergeDbContext, PostgresChatMergeDbContext>(options => UsePostgres(options, settings.ConnectionString));
        return builder;
    }

    public static DbContextOptionsBuilder UseSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString).AddInterceptors(SqlitePragmas.Instance);

    public static DbContextOptionsBuilder UsePostgres(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString);

    /// <summary>
    /// Applies pending migrations. On SQLite, WAL lets readers and one writer work at once; on
    /// PostgreSQL, instances starting together take turns (<see cref="MigrationLock"/>). An up-to-date
    /// database is found so with one query (<see cref="MigrationState"/>): EF Core starts on the first
    /// request that needs it, not at start. On PostgreSQL the key ring's first key is made there too,
    /// under the same lock (<see cref="Keys.KeysSetup.CreateFirstKey"/>): when migrating, and whenever a
    /// key ring kept in the database has no key yet.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services)
    {
        var settings = services.GetRequiredService<DatabaseSettings>();
        if (settings.DataDirectory is not null)
            Directory.CreateDirectory(settings.DataDirectory);
        IReadOnlyList<string> pending;
        await using (var connection = MigrationState.Connect(settings))
        {
            if (settings.Provider == DatabaseProvider.Sqlite)
            {
                CreateOwnerOnly(new SqliteConnectionStringBuilder(settings.ConnectionString).DataSource);
                await connection.OpenAsync();
                await using var wal = connection.CreateCommand();
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                await wal.ExecuteNonQueryAsync();
            }
            else
            {
                await PostgresDatabase.OpenCreatingAsync(connection, settings.ConnectionString);
            }
            pending = await MigrationState.PendingAsync(connection, settings.Provider, CancellationToken.None);
            if (pending.Count == 0 && (settings.Provider == DatabaseProvider.Sqlite
                || services.GetService<Keys.KeyRingPlace>() is not { InDatabase: true } || await HasKeyRingKeyAsync(connection)))
                return;
        }
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>().Database.MigrateAsync();
        }
        else
        {
            await PostgresDatabase.MigrateAsync(settings.ConnectionString, services.GetRequiredService<ILoggerFactory>(),
                migrate: pending.Count > 0, () => Keys.KeysSetup.CreateFirstKey(services));
        }
    }

    private static async Task<bool> HasKeyRingKeyAsync(DbConnection connection)
    {
        await using var keys = connection.CreateCommand();
        keys.CommandText = "SELECT EXISTS (SELECT 1 FROM data_protection_keys)";
        return (bool)(await keys.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// A new SQLite file holds chats and encrypted keys: it is made readable by its owner only, as the
    /// key ring is (SQLite gives the -wal and -shm files the database file's mode). An existing file
    /// keeps the mode its owner chose.
    /// </summary>
    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path))
            return;
        try
        {
            using var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process made it meanwhile.
        }
    }

    /// <summary>
    /// Whether a failure means the database cannot be used right now (down, unreachable, refusing our
    /// login, out of connections, busy past the timeout, a full or failing disk), not that our code is
    /// wrong: a 503, not a 500.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // SQLITE_BUSY, SQLITE_LOCKED: another process held the database past the busy timeout.
        // SQLITE_READONLY, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN: the file or its disk refuses
        // writes (a full disk, a read-only mount): the operator's to fix, and it passes once fixed.
        SqliteException sqlite => sqlite.SqliteErrorCode is 5 or 6 or 8 or 10 or 13 or 14,
        // PostgreSQL: connection exception, invalid authorization or database, insufficient resources, operator intervention.
        DbException db => db.IsTransient || db.SqlState is ['0', '8', ..] or ['2', '8', ..] or ['3', 'D', ..] or ['5', '3', ..] or ['5', '7', 'P', ..],
        _ => exception.InnerException is { } inner && IsUnavailable(inner),
    };

    /// <summary>What went wrong, from the outermost message to the cause (Npgsql puts the socket error inside).</summary>
    public static string Describe(Exception exception) =>
        exception.InnerException is { } inner && !exception.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{exception.Message} ({Describe(inner)})"
            : exception.Message;

    /// <summary>Per-connection SQLite settings (<see cref="SqliteConnectionPragmas"/>).</summary>
    private sealed class SqlitePragmas : DbConnectionInterceptor
    {
        public static readonly SqlitePragmas Instance = new();

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

        public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Apply(connection);
            return Task.CompletedTask;
        }

        // Pooled connections keep their settings: each SQLite handle gets them once, not on every open.
        private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Prepared = [];

        private static void Apply(DbConnection connection)
        {
            var handle = ((SqliteConnection)connection).Handle;
            if (handle is null || Prepared.TryGetValue(handle, out _))
                return;
            using var command = connection.CreateCommand();
            command.CommandText = SqliteConnectionPragmas;
            command.ExecuteNonQuery();
            Prepared.AddOrUpdate(handle, Prepared);
        }
    }
}
