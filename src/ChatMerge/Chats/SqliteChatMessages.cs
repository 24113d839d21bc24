using ChatMerge.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using SQLitePCL;

namespace ChatMerge.Chats;

/// <summary>
/// <c>GET /api/chats/{id}/messages</c> on SQLite: the messages from SQLite's buffers straight into the
/// response's JSON, as <see cref="SqliteChatDetail"/> writes them. Through EF Core, a chat of 5,000
/// messages took ~37 ms end to end (median on a 2-core machine); this takes about what the chat
/// with its messages takes. The bytes are the ones serializing the <see cref="MessageResponse"/> list
/// writes; a test compares them.
/// </summary>
internal sealed class SqliteChatMessages(SqliteChatMergeDbContext db, Guid chatId) : IResult
{
    private const string Exists = "SELECT 1 FROM chats WHERE id = ?1";

    public async Task ExecuteAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        await using var open = await db.OpenConnectionAsync(cancellationToken);
        var connection = SqliteRows.Handle(db);
        using var snapshot = SqliteRows.BeginSnapshot(connection);
        using var exists = SqliteRows.Prepare(connection, Exists, chatId);
        if (!SqliteRows.Step(exists, connection))
        {
            await ChatQueries.ChatNotFound(chatId).ExecuteAsync(context);
            return;
        }

        using var messages = SqliteRows.Prepare(connection, SqliteChatDetail.Messages, chatId);
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await using var writer = SqliteRows.StartJson(context, json);
        await SqliteChatDetail.WriteMessagesAsync(writer, messages, connection, context, cancellationToken);
    }
}
