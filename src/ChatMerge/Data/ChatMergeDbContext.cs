using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ChatMerge.Data;

/// <summary>
/// The one model of the app. Each database provider has a thin subclass so that it can own its
/// migration set (<see cref="SqliteChatMergeDbContext"/>, <see cref="PostgresChatMergeDbContext"/>).
/// </summary>
internal abstract class ChatMergeDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Chat> Chats => Set<Chat>();
    public DbSet<Message> Messages => Set<Message>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<MergeHistory> MergeHistory => Set<MergeHistory>();

    /// <summary>The Data Protection key ring when it is shared through the database (always encrypted there).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>
    /// Keeps the connection open until the result is disposed, so that several statements share one
    /// open (EF otherwise opens and closes it around each). Keep it short: on PostgreSQL it holds a pooled connection.
    /// </summary>
    public async Task<IAsyncDisposable> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        await Database.OpenConnectionAsync(cancellationToken);
        return new OpenConnection(this);
    }

    private sealed class OpenConnection(ChatMergeDbContext db) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => new(db.Database.CloseConnectionAsync());
    }

    /// <summary>
    /// Waits for this database's turn to write; disposing the turn gives it back. Hold it from the
    /// first write statement to the commit. Only SQLite needs turns (<see cref="SqliteChatMergeDbContext"/>).
    /// </summary>
    public virtual ValueTask<WriteTurn> WriteTurnAsync(CancellationToken cancellationToken) => ValueTask.FromResult(default(WriteTurn));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ChatMergeDbContext).Assembly);
        // snake_case columns, like the original schema, so `SELECT * FROM chats` reads the same.
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()))
            property.SetColumnName(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every time is stored and read as UTC; SQLite would otherwise hand back Kind=Unspecified.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcConverter>();
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

internal sealed class ChatConfiguration : IEntityTypeConfiguration<Chat>
{
    public void Configure(EntityTypeBuilder<Chat> chat)
    {
        chat.ToTable("chats");
        chat.Property(c => c.Title).HasMaxLength(Limits.TitleLength);
        chat.Property(c => c.Provider).HasMaxLength(32);
        chat.Property(c => c.Model).HasMaxLength(Limits.ModelLength);
        // The chat list's order, so listing needs no sort.
        chat.HasIndex(c => new { c.UpdatedAt, c.Id });
        chat.HasMany(c => c.Messages).WithOne().HasForeignKey(m => m.ChatId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> message)
    {
        message.ToTable("messages");
        message.Property(m => m.Role).HasMaxLength(16);
        message.Property(m => m.Provider).HasMaxLength(32);
        message.Property(m => m.Model).HasMaxLength(Limits.ModelLength);
        message.HasIndex(m => new { m.ChatId, m.CreatedAt });
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> key)
    {
        key.ToTable("api_keys");
        key.Property(k => k.Provider).HasMaxLength(32);
        key.HasIndex(k => k.Provider).IsUnique();
    }
}

internal sealed class MergeHistoryConfiguration : IEntityTypeConfiguration<MergeHistory>
{
    public void Configure(EntityTypeBuilder<MergeHistory> merge)
    {
        merge.ToTable("merge_history");
        merge.Property(m => m.Provider).HasMaxLength(32);
        merge.Property(m => m.Model).HasMaxLength(Limits.ModelLength);
        merge.Property(m => m.Mode).HasMaxLength(16);
        // A JSON array keeps the source list provider-neutral (SQLite has no array type).
        merge.PrimitiveCollection(m => m.SourceChatIds);
        merge.HasIndex(m => m.MergedChatId);
        merge.HasIndex(m => m.CreatedAt);
        merge.HasOne<Chat>().WithMany().HasForeignKey(m => m.MergedChatId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> key) => key.ToTable("data_protection_keys");
}

internal sealed class SqliteChatMergeDbContext(DbContextOptions<SqliteChatMergeDbContext> options) : ChatMergeDbContext(options)
{
    public override ValueTask<WriteTurn> WriteTurnAsync(CancellationToken cancellationToken) =>
        SqliteWriteTurns.WaitAsync(Database.GetDbConnection().DataSource, cancellationToken);
}

/// <summary>
/// SQLite lets one writer in at a time. A writer that finds the lock taken sleeps in SQLite's busy
/// handler (1, 2, 5 … 100 ms) and holds its thread meanwhile: under a few hundred concurrent
/// completions that starves the thread pool. Writers of this process queue here instead, in order
/// and without a thread; the busy timeout still covers another process writing to the same file.
/// </summary>
internal static class SqliteWriteTurns
{
    // One gate per database file, shared by every writer of the process.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    public static async ValueTask<WriteTurn> WaitAsync(string databaseFile, CancellationToken cancellationToken)
    {
        var gate = Gate(databaseFile);
        await gate.WaitAsync(cancellationToken);
        return new WriteTurn(gate);
    }

    /// <summary>The turn if nobody holds it, else null.</summary>
    public static WriteTurn? TryTake(string databaseFile)
    {
        var gate = Gate(databaseFile);
        return gate.Wait(0) ? new WriteTurn(gate) : null;
    }

    private static SemaphoreSlim Gate(string databaseFile) => Gates.GetOrAdd(Path.GetFullPath(databaseFile), _ => new SemaphoreSlim(1, 1));
}

internal sealed class PostgresChatMergeDbContext(DbContextOptions<PostgresChatMergeDbContext> options) : ChatMergeDbContext(options);

/// <summary>A turn to write (see <see cref="ChatMergeDbContext.WriteTurnAsync"/>); the default turn holds nothing.</summary>
internal readonly struct WriteTurn(SemaphoreSlim? gate) : IDisposable
{
    public void Dispose() => gate?.Release();
}
