using System.Data.Common;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatMerge.Data;

/// <summary>
/// Which of the code's migrations a database lacks, asked with one plain query: at start and on
/// every readiness probe. EF Core answers the same question only after building its services and
/// model: about 23 MB and most of the start-up time, which a server just started, or asked by a load
/// balancer whether it is ready, does not need yet. <see cref="DataExtensions.MigrateDatabaseAsync"/> still lets EF Core
/// apply what is missing.
/// </summary>
internal static class MigrationState
{
    private const string HistoryTable = "__EFMigrationsHistory";

    private static readonly Lazy<string[]> SqliteMigrations = new(() => Listed("ChatMerge.Migrations.Sqlite"));
    private static readonly Lazy<string[]> PostgresMigrations = new(() => Listed("ChatMerge.Migrations.Postgres"));

    /// <summary>The ids of the code's migrations for the database, in the order EF Core applies them.</summary>
    public static IReadOnlyList<string> Known(DatabaseProvider provider) =>
        (provider == DatabaseProvider.Sqlite ? SqliteMigrations : PostgresMigrations).Value;

    /// <summary>A connection to the database, not yet open.</summary>
    public static DbConnection Connect(DatabaseSettings settings) =>
        settings.Provider == DatabaseProvider.Sqlite ? new SqliteConnection(settings.ConnectionString) : ConnectPostgres(settings.ConnectionString);

    // Apart and never inlined, so that a server on SQLite does not load Npgsql.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static NpgsqlConnection ConnectPostgres(string connectionString) => new(connectionString);

    /// <summary>The code's migrations the database has not applied (all of them for a new database), oldest first.</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(DbConnection connection, DatabaseProvider provider, CancellationToken cancellationToken)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var exists = connection.CreateCommand())
        {
            // PostgreSQL: found where EF Core looks for it, on the search path.
            exists.CommandText = provider == DatabaseProvider.Sqlite
                ? $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{HistoryTable}'"
                : $"SELECT CASE WHEN to_regclass('\"{HistoryTable}\"') IS NULL THEN 0 ELSE 1 END";
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken)) == 0)
                return Known(provider);
        }
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = $"SELECT \"MigrationId\" FROM \"{HistoryTable}\"";
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                applied.Add(reader.GetString(0));
        }
        return Known(provider).Where(id => !applied.Contains(id)).ToList();
    }

    /// <summary>
    /// The ids the build lists in the assembly's metadata, in the order EF Core applies them. Finding
    /// them as EF Core does, by the attributes of the migration classes, would load EF Core's
    /// relational code and every type of the assembly (~3.5 MB).
    /// </summary>
    private static string[] Listed(string key) =>
        typeof(MigrationState).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == key).Value!
            .Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Order(StringComparer.Ordinal)
            .ToArray();
}
