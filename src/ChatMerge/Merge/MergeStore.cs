using ChatMerge.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace ChatMerge.Merge;

/// <summary>A message of the merged chat before it is stored; IsComplete is false for a copy of an answer that was cut off.</summary>
internal sealed record MergedMessage(string Role, string Content, string? Reasoning, string? Provider = null, string? Model = null, bool IsComplete = true);

/// <summary>Reads the sources and writes the result: the only database work of a merge.</summary>
internal static class MergeStore
{
    /// <summary>Every message of the given chats, oldest first per chat.</summary>
    public static async Task<Dictionary<Guid, List<Message>>> LoadMessagesAsync(
        ChatMergeDbContext db, IReadOnlyList<Chat> chats, CancellationToken cancellationToken)
    {
        var ids = chats.Select(c => c.Id).ToList();
        var messages = await db.Messages.AsNoTracking()
            .Where(m => ids.Contains(m.ChatId))
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
            .ToListAsync(cancellationToken);
        var byChat = ids.ToDictionary(id => id, _ => new List<Message>());
        foreach (var message in messages)
            byChat[message.ChatId].Add(message);
        return byChat;
    }

    public static SourceConversation ToSource(Chat chat, List<Message> messages)
    {
        var turns = new List<SourceMessage>(messages.Count + 1);
        if (!string.IsNullOrWhiteSpace(chat.SystemPrompt))
            turns.Add(new SourceMessage("system", chat.SystemPrompt, null));
        turns.AddRange(messages.Select(m => new SourceMessage(m.Role, m.Content, m.ReasoningTrace, m.IsComplete)));
        return new SourceConversation(chat.Title, chat.Provider, chat.Model, turns);
    }

    /// <summary>
    /// The new chat, its messages and the merge record in one transaction: a cancelled or failed save
    /// leaves nothing behind. The chat and the record go through EF Core; the messages, thousands of
    /// them, in the same transaction through one prepared statement on SQLite
    /// (<see cref="SqliteMessageWriter.InsertAll"/>) or one binary COPY on PostgreSQL
    /// (<see cref="PostgresMessages.CopyAsync"/>).
    /// </summary>
    public static async Task<Chat> SaveAsync(
        ChatMergeDbContext db, MergeJob job, IReadOnlyList<MergedMessage> messages, CancellationToken cancellationToken)
    {
        var chatId = Guid.CreateVersion7();
        try
        {
            return await SaveOnceAsync(db, chatId, job, messages, cancellationToken);
        }
        catch (Exception e) when (db is not SqliteChatMergeDbContext && DataExtensions.IsUnavailable(e))
        {
            // A pooled connection PostgreSQL had ended while the merge model wrote (a restart, a failover)
            // fails the first statement sent on it: once more, on a new connection, from a clean slate.
            db.ChangeTracker.Clear();
            PostgresDatabase.ClearPool(db.Database.GetConnectionString()!);
            // Unless the commit got through and only its answer was lost: then the merged chat is there, whole.
            return await db.Chats.AsNoTracking().FirstOrDefaultAsync(c => c.Id == chatId, cancellationToken)
                ?? await SaveOnceAsync(db, chatId, job, messages, cancellationToken);
        }
    }

    private static async Task<Chat> SaveOnceAsync(
        ChatMergeDbContext db, Guid chatId, MergeJob job, IReadOnlyList<MergedMessage> messages, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        var chat = new Chat
        {
            Id = chatId,
            Title = MergePrompts.Title(job.Chats, job.Title),
            Provider = job.Provider,
            Model = job.Model,
            SystemPrompt = MergePrompts.SystemPrompt(job.Chats, job.Provider, job.Model, job.Mode),
            CreatedAt = now,
            UpdatedAt = now,
            MessageCount = messages.Count,
        };
        // Messages are listed by created_at, then id; a microsecond apart (what PostgreSQL keeps) and all
        // in the past, they keep their order and come before anything added to the chat later.
        var first = now.AddTicks(-TimeSpan.TicksPerMicrosecond * (messages.Count + 1));
        var rows = messages.Select((m, i) => new Message
        {
            ChatId = chat.Id,
            Role = m.Role,
            Content = m.Content,
            ReasoningTrace = string.IsNullOrEmpty(m.Reasoning) ? null : m.Reasoning,
            IsComplete = m.IsComplete,
            Provider = m.Provider,
            Model = m.Model,
            CreatedAt = first.AddTicks(TimeSpan.TicksPerMicrosecond * i),
        });
        db.Chats.Add(chat);
        db.MergeHistory.Add(new MergeHistory
        {
            MergedChatId = chat.Id,
            SourceChatIds = job.Chats.Select(c => c.Id).ToList(),
            Provider = job.Provider,
            Model = job.Model,
            Mode = job.Mode,
            CreatedAt = now,
        });

        using var turn = await db.WriteTurnAsync(cancellationToken);
        // No savepoint before SaveChanges (a round trip): a failed save fails the whole transaction here.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        if (db is SqliteChatMergeDbContext)
            SqliteMessageWriter.InsertAll((SqliteTransaction)transaction.GetDbTransaction(), rows);
        else
            await PostgresMessages.CopyAsync(db.Database.GetDbConnection(), rows, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return chat;
    }
}
