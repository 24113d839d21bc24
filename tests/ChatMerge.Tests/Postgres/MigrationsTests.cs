using ChatMerge.Data;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Tests.Postgres;

/// <summary>Each provider has its own migration set; both must describe the current model.</summary>
public sealed class MigrationsTests
{
    [Fact]
    public void The_SQLite_migrations_match_the_model()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(),
            "The model changed without a SQLite migration: dotnet ef migrations add <Name> --context SqliteChatMergeDbContext --output-dir Data/Migrations/Sqlite");
    }

    [Fact]
    public void The_PostgreSQL_migrations_match_the_model()
    {
        // Needs no server: the comparison is between the model and the migrations' snapshot.
        using var db = new PostgresDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(),
            "The model changed without a PostgreSQL migration: dotnet ef migrations add <Name> --context PostgresChatMergeDbContext --output-dir Data/Migrations/Postgres");
    }

    [Fact]
    public void Both_providers_have_the_same_migrations_in_the_same_order()
    {
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);
        using var postgres = new PostgresDesignTimeFactory().CreateDbContext([]);

        static List<string> Names(DbContext db) => db.Database.GetMigrations().Select(id => id[(id.IndexOf('_') + 1)..]).ToList();
        Assert.Equal(Names(sqlite), Names(postgres));
        Assert.Contains("KeyRing", Names(postgres));
    }
}
