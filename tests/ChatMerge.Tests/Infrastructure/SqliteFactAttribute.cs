namespace ChatMerge.Tests.Infrastructure;

/// <summary>A test of something only the SQLite setup has: skipped on the PostgreSQL leg, saying why.</summary>
public sealed class SqliteFactAttribute : FactAttribute
{
    /// <param name="because">What PostgreSQL does instead, for the skip message.</param>
    public SqliteFactAttribute(string because)
    {
        if (TestDatabase.PostgresServer is not null)
            Skip = "SQLite only: " + because;
    }
}
