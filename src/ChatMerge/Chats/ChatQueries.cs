using ChatMerge.Data;
using ChatMerge.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Chats;

/// <summary>Read-side queries shared by the chat, completion and merge endpoints.</summary>
internal static class ChatQueries
{
    public static ProblemHttpResult ChatNotFound(Guid id) => Problems.NotFound($"Chat {id} not found.");

    public static Task<List<ChatSummary>> ListAsync(ChatMergeDbContext db, int? limit, int offset, CancellationToken cancellationToken)
    {
        IQueryable<Chat> chats = db.Chats.AsNoTracking().OrderByDescending(c => c.UpdatedAt).ThenByDescending(c => c.Id);
        if (offset > 0)
            chats = chats.Skip(offset);
        if (limit is { } take)
            chats = chats.Take(take);
        // The stored count: messages are neither loaded nor counted to list chats.
        return chats
            .Select(c => new ChatSummary(c.Id, c.Title, c.Provider, c.Model, c.SystemPrompt, c.CreatedAt, c.UpdatedAt, c.MessageCount))
            .ToListAsync(cancellationToken);
    }

    public static Task<List<MessageResponse>> MessagesAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken) =>
        db.Messages.AsNoTracking()
            .Where(m => m.ChatId == chatId)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
            .Select(m => new MessageResponse(m.Id, m.ChatId, m.Role, m.Content, m.ReasoningTrace, m.CreatedAt, !m.IsComplete,
                m.Provider, m.Model, m.InputTokens, m.OutputTokens))
            .ToListAsync(cancellationToken);

    public static async Task<ChatDetail?> DetailAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken)
    {
        var chat = await db.Chats.AsNoTracking().FirstOrDefaultAsync(c => c.Id == chatId, cancellationToken);
        if (chat is null)
            return null;
        var messages = await MessagesAsync(db, chatId, cancellationToken);
        var lineage = await db.MergeHistory.AsNoTracking()
            .Where(m => m.MergedChatId == chatId)
            .Select(m => new MergeLineage(m.Id, m.SourceChatIds, m.Mode, m.Provider, m.Model, m.CreatedAt))
            .FirstOrDefaultAsync(cancellationToken);
        return chat.ToDetail(messages, lineage);
    }
}
