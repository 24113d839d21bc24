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

    // Compiled once: these run on every chat read and every completion, and EF would otherwise
    // rebuild, hash and look up each expression tree per call.
    private static readonly Func<ChatMergeDbContext, Guid, CancellationToken, Task<Chat?>> ChatById =
        EF.CompileAsyncQuery((ChatMergeDbContext db, Guid id, CancellationToken _) => db.Chats.AsNoTracking().FirstOrDefault(c => c.Id == id));

    private static readonly Func<ChatMergeDbContext, Guid, IAsyncEnumerable<Message>> MessagesOf =
        EF.CompileAsyncQuery<ChatMergeDbContext, Guid, Message>((db, chatId) =>
            db.Messages.AsNoTracking().Where(m => m.ChatId == chatId).OrderBy(m => m.CreatedAt).ThenBy(m => m.Id));

    private static readonly Func<ChatMergeDbContext, Guid, IAsyncEnumerable<MessageResponse>> MessageResponsesOf =
        EF.CompileAsyncQuery((ChatMergeDbContext db, Guid chatId) =>
            db.Messages.AsNoTracking()
                .Where(m => m.ChatId == chatId)
                .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id)
                .Select(m => new MessageResponse(m.Id, m.ChatId, m.Role, m.Content, m.ReasoningTrace, m.CreatedAt, !m.IsComplete,
                    m.Provider, m.Model, m.InputTokens, m.OutputTokens)));

    private static readonly Func<ChatMergeDbContext, Guid, CancellationToken, Task<MergeLineage?>> LineageOf =
        EF.CompileAsyncQuery((ChatMergeDbContext db, Guid chatId, CancellationToken _) =>
            db.MergeHistory.AsNoTracking()
                .Where(m => m.MergedChatId == chatId)
                .Select(m => new MergeLineage(m.Id, m.SourceChatIds, m.Mode, m.Provider, m.Model, m.CreatedAt))
                .FirstOrDefault());

    /// <summary>
    /// Whether the chat is still there, asked on a connection of its own: a write that was refused
    /// may mean that the chat was deleted meanwhile.
    /// </summary>
    public static async Task<bool> ExistsAsync(IServiceScopeFactory scopes, Guid chatId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        return await db.Chats.AnyAsync(c => c.Id == chatId);
    }

    /// <summary>The chat, untracked, or null.</summary>
    public static Task<Chat?> FindAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken) =>
        ChatById(db, chatId, cancellationToken);

    /// <summary>The chat's messages as stored, oldest first (the order the model reads them in).</summary>
    public static Task<List<Message>> HistoryAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken) =>
        MessagesOf(db, chatId).ToListAsync(cancellationToken).AsTask();

    public static Task<List<MessageResponse>> MessagesAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken) =>
        MessageResponsesOf(db, chatId).ToListAsync(cancellationToken).AsTask();

    /// <summary>The messages of <see cref="MessagesAsync"/>, one at a time as they are read.</summary>
    public static IAsyncEnumerable<MessageResponse> ReadMessages(ChatMergeDbContext db, Guid chatId) => MessageResponsesOf(db, chatId);

    public static Task<int> CountMessagesAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken) =>
        db.Messages.CountAsync(m => m.ChatId == chatId, cancellationToken);

    /// <summary>Where the chat was merged from, or null.</summary>
    public static Task<MergeLineage?> LineageAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken) =>
        LineageOf(db, chatId, cancellationToken);

    public static async Task<ChatDetail?> DetailAsync(ChatMergeDbContext db, Guid chatId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var chat = await ChatById(db, chatId, cancellationToken);
        if (chat is null)
            return null;
        var messages = await MessagesAsync(db, chatId, cancellationToken);
        var lineage = await LineageOf(db, chatId, cancellationToken);
        return chat.ToDetail(messages, lineage);
    }
}
