namespace ChatMerge.Tests.Infrastructure;

/// <summary>
/// A test of something only the SQLite setup has (the key ring as files, the message writer's own
/// connection): skipped on the PostgreSQL leg.
/// </summary>
public sealed class SqliteFactAttribute : FactAttribute
{
    public SqliteFactAttribute()
    {
        if (TestDatabase.PostgresServer is not null)
            Skip = "SQLite only: PostgreSQL keeps its key ring in the database and writes messages through EF Core.";
    }
}
