using System.Runtime.CompilerServices;
using ChatMerge.Hosting;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatMerge.Data;

internal enum DatabaseProvider { Sqlite, PostgreSql }

/// <summary>
/// What <c>DATABASE_URL</c> selects. Accepts the original backend's SQLAlchemy URLs
/// (<c>sqlite:///./x.db</c>, <c>sqlite+aiosqlite:///./x.db</c>), a plain SQLite path,
/// <c>postgres://</c>/<c>postgresql://</c> URLs and Npgsql key=value strings.
/// </summary>
internal sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString, string Description)
{
    public const string DefaultSqlitePath = "chat_app.db";

    /// <summary>Directory of the SQLite file, where the key ring lives by default; null for a server database.</summary>
    public string? DataDirectory { get; init; }

    public static DatabaseSettings Parse(string? url)
    {
        try
        {
            return ParseUrl(url?.Trim());
        }
        catch (Exception e) when (e is UriFormatException or FormatException or ArgumentException)
        {
            // The messages name the part that is wrong (a port, an sslmode, a keyword), never the password.
            throw new SettingsException($"DATABASE_URL cannot be used: {e.Message} Use sqlite:///path, a file path, or postgres://user:pass@host:port/db.", e);
        }
    }

    private static DatabaseSettings ParseUrl(string? url)
    {
        if (string.IsNullOrEmpty(url))
            return Sqlite(DefaultSqlitePath);

        var scheme = url.Split("://", 2)[0].ToLowerInvariant();
        if (url.Contains("://") && scheme is "postgres" or "postgresql" or "postgresql+asyncpg" or "postgresql+psycopg")
            return PostgresFromUrl(new Uri("postgres://" + url.Split("://", 2)[1]));
        if (url.Contains("://"))
        {
            if (!scheme.StartsWith("sqlite", StringComparison.Ordinal))
                throw new SettingsException($"DATABASE_URL: unsupported scheme '{scheme}'. Use sqlite:///path, a file path, or postgres://user:pass@host:port/db.");
            // sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy writes them.
            var rest = url.Split("://", 2)[1];
            var path = rest.StartsWith('/') ? rest[1..] : rest;
            return Sqlite(path.Split('?')[0]);
        }
        if (url.Contains("Host=", StringComparison.OrdinalIgnoreCase) || url.Contains("Server=", StringComparison.OrdinalIgnoreCase))
            return PostgresFromKeyValues(url);
        if (url.StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase))
            return Sqlite(new SqliteConnectionStringBuilder(url).DataSource);
        return Sqlite(url);
    }

    private static DatabaseSettings Sqlite(string path)
    {
        var full = Path.GetFullPath(path);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Pooling = true,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY for this long before giving up.
            DefaultTimeout = 60,
        };
        return new(DatabaseProvider.Sqlite, builder.ToString(), $"SQLite {full}") { DataDirectory = Path.GetDirectoryName(full) };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DatabaseSettings PostgresFromUrl(Uri uri)
    {
        var userInfo = uri.UserInfo.Split(':', 2);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            Username = userInfo.Length > 0 ? Uri.UnescapeDataString(userInfo[0]) : null,
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
        };
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            if (key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) && kv.Length == 2)
            {
                var mode = Uri.UnescapeDataString(kv[1]);
                builder.SslMode = Enum.TryParse<SslMode>(mode.Replace("-", ""), ignoreCase: true, out var sslMode) && Enum.IsDefined(sslMode)
                    ? sslMode
                    : throw new SettingsException($"DATABASE_URL: sslmode '{mode}' is not one of disable, allow, prefer, require, verify-ca, verify-full.");
            }
        }
        return Postgres(builder);
    }

    // Npgsql's types appear only in the PostgreSQL methods, never inlined: a server on SQLite does not load Npgsql.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static DatabaseSettings PostgresFromKeyValues(string connectionString) => Postgres(new NpgsqlConnectionStringBuilder(connectionString));

    private static DatabaseSettings Postgres(NpgsqlConnectionStringBuilder builder) =>
        new(DatabaseProvider.PostgreSql, builder.ToString(), $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}");
}
