using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Postgres;

/// <summary>A test that needs a PostgreSQL server: skipped, saying why, unless CHATMERGE_TEST_POSTGRES names one.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestDatabase.PostgresServer is null)
            Skip = $"Needs PostgreSQL: set {TestDatabase.PostgresVariable} to a server's connection string (.ci/run does).";
    }
}
