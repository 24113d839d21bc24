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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Messages.AddRange(messages);
        await db.SaveChangesAsync(cancellationToken);
        await db.Chats.Where(c => c.Id == chatId).ExecuteUpdateAsync(set => set
            .SetProperty(c => c.MessageCount, c => c.MessageCount + messages.Count)
            .SetProperty(c => c.UpdatedAt, now), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
