using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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

    [Fact]
    public async Task Upgrading_to_stored_message_counts_counts_the_messages_already_there()
    {
        var path = Path.Combine(Path.GetTempPath(), $"chatmerge-upgrade-{Guid.NewGuid():N}.db");
        var options = new DbContextOptionsBuilder<SqliteChatMergeDbContext>().UseSqlite($"Data Source={path};Pooling=False").Options;
        try
        {
            await using var db = new SqliteChatMergeDbContext(options);
            var migrator = db.GetService<IMigrator>();
            var before = db.Database.GetMigrations().Last(m => m.EndsWith("_KeyRing", StringComparison.Ordinal));
            await migrator.MigrateAsync(before);
            var chat = Guid.NewGuid().ToString().ToUpperInvariant();
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO chats (id, title, provider, model, created_at, updated_at) VALUES ({0}, 'old', 'openai', 'gpt-4o', '2026-01-01 00:00:00', '2026-01-01 00:00:00')", chat);
            for (var i = 0; i < 3; i++)
                await db.Database.ExecuteSqlRawAsync(
                    "INSERT INTO messages (id, chat_id, role, content, is_complete, created_at) VALUES ({0}, {1}, 'user', 'hi', 1, '2026-01-01 00:00:00')",
                    Guid.NewGuid().ToString().ToUpperInvariant(), chat);

            await migrator.MigrateAsync();

            Assert.Equal(3, await db.Chats.Select(c => c.MessageCount).SingleAsync());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }
}
