using ChatMerge.Data;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Benchmarks.Load;

/// <summary>The server's own DbContext on the server's database, for seeding and for the persistence measurements.</summary>
internal sealed class BenchDatabase(DatabaseSettings settings)
{
    public DatabaseSettings Settings => settings;

    public ChatMergeDbContext Open()
    {
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            var sqlite = new DbContextOptionsBuilder<SqliteChatMergeDbContext>();
            DataExtensions.UseSqlite(sqlite, settings.ConnectionString);
            return new SqliteChatMergeDbContext(sqlite.Options);
        }
        var postgres = new DbContextOptionsBuilder<PostgresChatMergeDbContext>();
        DataExtensions.UsePostgres(postgres, settings.ConnectionString);
        return new PostgresChatMergeDbContext(postgres.Options);
    }

    /// <summary>Empty chats for the relay: each stream gets a fresh one, so its history is the one message the direct request sends.</summary>
    public async Task<List<Guid>> CreateChatsAsync(int count)
    {
        var ids = new List<Guid>(count);
        for (var done = 0; done < count; done += 2_000)
        {
            await using var db = Open();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = done; i < Math.Min(count, done + 2_000); i++)
            {
                var chat = new Chat { Title = $"Relay {i}", Provider = "openai", Model = StreamClient.Model };
                db.Chats.Add(chat);
                ids.Add(chat.Id);
            }
            await db.SaveChangesAsync();
        }
        return ids;
    }

    public async Task DeleteAllChatsAsync()
    {
        await using var db = Open();
        await db.Chats.ExecuteDeleteAsync();
    }
}
