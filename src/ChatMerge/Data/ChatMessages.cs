using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Data;

internal static class ChatMessages
{
    /// <summary>
    /// Stores messages of a chat and, in the same transaction, counts them on the chat and marks it
    /// active. The count is incremented in SQL, so concurrent completions on one chat lose nothing.
    /// </summary>
    public static async Task AppendAsync(ChatMergeDbContext db, Guid chatId, IReadOnlyCollection<Message> messages, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        using var turn = await db.WriteTurnAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Messages.AddRange(messages);
        await db.SaveChangesAsync(cancellationToken);
        // Plain SQL (parameters all the same): ExecuteUpdate would rebuild its expression tree on every message.
        await db.Database.ExecuteSqlAsync($"UPDATE chats SET message_count = message_count + {messages.Count}, updated_at = {now} WHERE id = {chatId}", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
