using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatMerge.Tests.Infrastructure;

/// <summary>
/// The database a test server runs on: a SQLite file by default, or a fresh PostgreSQL database when
/// CHATMERGE_TEST_POSTGRES holds a connection string to a running server (as <c>.ci/run</c> sets it).
/// The same tests run on both; SQL that tests send directly goes through here.
/// </summary>
public abstract class TestDatabase : IAsyncDisposable
{
    public const string PostgresVariable = "CHATMERGE_TEST_POSTGRES";

    /// <summary>The PostgreSQL server the tests run against, or null to run on SQLite.</summary>
    public static string? PostgresServer => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } value ? value : null;

    /// <summary>A key ring secret for test servers; PostgreSQL requires one.</summary>
    public const string KeyRingSecret = "test-key-ring-secret-0123456789abcdef-0123456789";

    public abstract bool IsPostgres { get; }

    /// <summary>What the server gets as DATABASE_URL.</summary>
    public abstract string Url { get; }

    /// <summary>A new database of the configured kind; SQLite puts its file in <paramref name="directory"/>.</summary>
    public static async Task<TestDatabase> CreateAsync(string directory) =>
        PostgresServer is { } server ? await PostgresTestDatabase.CreateOnAsync(server) : new SqliteTestDatabase(Path.Combine(directory, "chat_app.db"));

    /// <summary>Runs one statement and returns the first column of the first row.</summary>
    public async Task<T> QueryScalarAsync<T>(string sql)
    {
        var value = await ExecuteAsync(sql, scalar: true);
        if (typeof(T) == typeof(string))
            return (T)(object)Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!;
        return (T)Convert.ChangeType(value!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task ExecuteAsync(string sql) => ExecuteAsync(sql, scalar: false);

    /// <summary>An id as a SQL literal that compares equal to the stored id (uppercase TEXT on SQLite, uuid on PostgreSQL).</summary>
    public string IdLiteral(string id) => IsPostgres ? $"'{Guid.Parse(id)}'" : $"'{Guid.Parse(id).ToString().ToUpperInvariant()}'";

    protected abstract Task<object?> ExecuteAsync(string sql, bool scalar);

    public abstract ValueTask DisposeAsync();
}

internal sealed class SqliteTestDatabase(string path) : TestDatabase
{
    public override bool IsPostgres => false;
    public override string Url => "sqlite:///" + path;

    protected override async Task<object?> ExecuteAsync(string sql, bool scalar)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return scalar ? await command.ExecuteScalarAsync() : await command.ExecuteNonQueryAsync();
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}

internal sealed class PostgresTestDatabase : TestDatabase
{
    private readonly string _server;
    private readonly string _name;

    private PostgresTestDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        Url = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }

    public override bool IsPostgres => true;
    public override string Url { get; }

    public static async Task<PostgresTestDatabase> CreateOnAsync(string server)
    {
        var name = "chatmerge_test_" + Guid.NewGuid().ToString("N");
        await AdminAsync(server, $"CREATE DATABASE {name}");
        return new PostgresTestDatabase(server, name);
    }

    /// <summary>A database with a fresh name that does not exist yet: the server is to create it.</summary>
    public static PostgresTestDatabase NotYetCreatedOn(string server) => new(server, "chatmerge_test_" + Guid.NewGuid().ToString("N"));

    protected override async Task<object?> ExecuteAsync(string sql, bool scalar)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Url) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return scalar ? await command.ExecuteScalarAsync() : await command.ExecuteNonQueryAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        // FORCE ends connections a stopped server may still hold open in another pool.
        await AdminAsync(_server, $"DROP DATABASE IF EXISTS {_name} WITH (FORCE)");
    }

    private static async Task AdminAsync(string server, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
