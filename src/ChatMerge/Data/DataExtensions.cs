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
    /// request that needs it, not at start.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services)
    {
        var settings = services.GetRequiredService<DatabaseSettings>();
        if (settings.DataDirectory is not null)
            Directory.CreateDirectory(settings.DataDirectory);
        await using (var connection = MigrationState.Connect(settings))
        {
            await connection.OpenAsync();
            if (settings.Provider == DatabaseProvider.Sqlite)
            {
                await using var wal = connection.CreateCommand();
                wal.CommandText = "PRAGMA journal_mode=WAL;";
                await wal.ExecuteNonQueryAsync();
            }
            if ((await MigrationState.PendingAsync(connection, settings.Provider, CancellationToken.None)).Count == 0)
                return;
        }
        await using var migrationLock = settings.Provider == DatabaseProvider.Sqlite ? null : await MigrationLock.AcquireAsync(settings.ConnectionString);
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>().Database.MigrateAsync();
    }

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
