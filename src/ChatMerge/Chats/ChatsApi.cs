using ChatMerge.Data;
using ChatMerge.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.OpenApi;

namespace ChatMerge.Chats;

internal static class ChatsApi
{
    public static RouteGroupBuilder MapChats(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/chats").WithTags("Chats")
            .ProducesValidationProblem();

        group.MapPost("", Create).WithSummary("Create a chat");
        group.MapGet("", List).WithSummary("List chats, most recently active first");
        // A chat named by its id: unknown ids are 404.
        var chat = group.MapGroup("/{id}").ProducesProblem(StatusCodes.Status404NotFound);
        // Written as they are read (SqliteChatDetail, ChatStream): the types are declared here.
        chat.MapGet("", Get).WithSummary("Get a chat with its messages").Produces<ChatDetail>();
        chat.MapPatch("", Update).WithSummary("Update title, system prompt, provider or model");
        chat.MapDelete("", Delete).WithSummary("Delete a chat and its messages");
        chat.MapGet("/messages", Messages).WithSummary("Get the messages of a chat, oldest first").Produces<List<MessageResponse>>();
        chat.MapGet("/export", Export).WithSummary("Download a chat as a file: Markdown (the default) or JSON")
            .Produces<string>(StatusCodes.Status200OK, "text/markdown", "application/json")
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                if (operation.Parameters?.FirstOrDefault(p => p.Name == "format") is OpenApiParameter format)
                    format.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [ChatExport.Markdown, ChatExport.Json], Default = ChatExport.Markdown };
                return Task.CompletedTask;
            });
        return group;
    }

    private static async Task<Created<ChatDetail>> Create(CreateChatRequest request, ChatMergeDbContext db, CancellationToken cancellationToken)
    {
        var chat = new Chat
        {
            Title = string.IsNullOrWhiteSpace(request.Title) ? "New Chat" : request.Title.Trim(),
            Provider = request.Provider,
            Model = request.Model.Trim(),
            SystemPrompt = string.IsNullOrWhiteSpace(request.SystemPrompt) ? null : request.SystemPrompt,
        };
        db.Chats.Add(chat);
        using (await db.WriteTurnAsync(cancellationToken))
            await db.SaveChangesAsync(cancellationToken);
        // Read back rather than echo the entity: PostgreSQL keeps microseconds, and the times a
        // client is given must be the ones every later read returns.
        return TypedResults.Created($"/api/chats/{chat.Id}", await ChatQueries.DetailAsync(db, chat.Id, cancellationToken));
    }

    private static async Task<Results<Ok<List<ChatSummary>>, ProblemHttpResult, SqliteChatList>> List(
        ChatMergeDbContext db, CancellationToken cancellationToken, int? limit = null, int? offset = null)
    {
        if (Problems.InvalidPaging(limit, offset) is { } paging)
            return paging;
        if (db is SqliteChatMergeDbContext sqlite)
            return new SqliteChatList(sqlite, limit, offset ?? 0);
        return TypedResults.Ok(await ChatQueries.ListAsync(db, limit, offset ?? 0, cancellationToken));
    }

    private static Results<SqliteChatDetail, ChatStream, ProblemHttpResult> Get(string id, ChatMergeDbContext db)
    {
        if (!Problems.TryParseId(id, out var chatId))
            return Problems.InvalidId("chat_id", id);
        if (db is SqliteChatMergeDbContext sqlite)
            return new SqliteChatDetail(sqlite, chatId);
        return new ChatStream(db, chatId, ChatStream.Kind.Detail);
    }

    private static async Task<Results<Ok<ChatDetail>, ProblemHttpResult>> Update(
        string id, UpdateChatRequest request, ChatMergeDbContext db, CancellationToken cancellationToken)
    {
        if (!Problems.TryParseId(id, out var chatId))
            return Problems.InvalidId("chat_id", id);
        if (request.Model is not null && string.IsNullOrWhiteSpace(request.Model))
            return Problems.BadRequest("model must not be empty.");
        using var turn = await db.WriteTurnAsync(cancellationToken);
        var chat = await db.Chats.FirstOrDefaultAsync(c => c.Id == chatId, cancellationToken);
        if (chat is null)
            return ChatQueries.ChatNotFound(chatId);

        if (request.Title is not null)
            chat.Title = string.IsNullOrWhiteSpace(request.Title) ? "New Chat" : request.Title.Trim();
        if (request.SystemPrompt is not null)
            chat.SystemPrompt = string.IsNullOrWhiteSpace(request.SystemPrompt) ? null : request.SystemPrompt;
        if (request.Provider is not null)
            chat.Provider = request.Provider;
        if (request.Model is not null)
            chat.Model = request.Model.Trim();
        // A request that changes nothing does not move the chat to the top of the list.
        if (db.ChangeTracker.HasChanges())
        {
            chat.UpdatedAt = DateTime.UtcNow;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                // Deleted between the read and the write (PostgreSQL; SQLite's write turn orders them).
                return ChatQueries.ChatNotFound(chatId);
            }
        }
        return await ChatQueries.DetailAsync(db, chatId, cancellationToken) is { } detail
            ? TypedResults.Ok(detail)
            : ChatQueries.ChatNotFound(chatId);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, ChatMergeDbContext db, CancellationToken cancellationToken)
    {
        if (!Problems.TryParseId(id, out var chatId))
            return Problems.InvalidId("chat_id", id);
        // Messages and the chat's own merge record go with it through the cascade.
        using var turn = await db.WriteTurnAsync(cancellationToken);
        var deleted = await db.Chats.Where(c => c.Id == chatId).ExecuteDeleteAsync(cancellationToken);
        return deleted == 0 ? ChatQueries.ChatNotFound(chatId) : TypedResults.NoContent();
    }

    private static Results<SqliteChatMessages, ChatStream, ProblemHttpResult> Messages(string id, ChatMergeDbContext db)
    {
        if (!Problems.TryParseId(id, out var chatId))
            return Problems.InvalidId("chat_id", id);
        if (db is SqliteChatMergeDbContext sqlite)
            return new SqliteChatMessages(sqlite, chatId);
        return new ChatStream(db, chatId, ChatStream.Kind.Messages);
    }

    private static Results<ChatStream, ProblemHttpResult> Export(string id, ChatMergeDbContext db, string? format = null)
    {
        if (!Problems.TryParseId(id, out var chatId))
            return Problems.InvalidId("chat_id", id);
        return ChatExport.Format(format) switch
        {
            ChatExport.Json => new ChatStream(db, chatId, ChatStream.Kind.JsonFile),
            ChatExport.Markdown => new ChatStream(db, chatId, ChatStream.Kind.MarkdownFile),
            _ => Problems.BadRequest(ChatExport.FormatProblem),
        };
    }
}
