namespace ChatMerge.Tests.Infrastructure;

/// <summary>A test of something only the SQLite setup has (the key ring as files): skipped on the PostgreSQL leg.</summary>
public sealed class SqliteFactAttribute : FactAttribute
{
    public SqliteFactAttribute()
    {
        if (TestDatabase.PostgresServer is not null)
            Skip = "SQLite only: on PostgreSQL the key ring is kept in the database.";
    }
}
