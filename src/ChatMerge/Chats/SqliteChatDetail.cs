using System.Text.Json;
using ChatMerge.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using SQLitePCL;
using static ChatMerge.Chats.SqliteRows;

namespace ChatMerge.Chats;

/// <summary>
/// <c>GET /api/chats/{id}</c> on SQLite: the chat and its lineage through EF Core, the messages
/// from SQLite's buffers straight into the response's JSON, as <see cref="SqliteChatList"/> does.
/// A chat of 5,000 messages took ~18 ms to read through EF Core, ~27 ms end to end.
/// The bytes are the ones serializing the <see cref="ChatDetail"/> writes; a test compares them.
/// <see cref="SqliteChatMessages"/> writes the same messages without the chat.
/// </summary>
internal sealed class SqliteChatDetail(SqliteChatMergeDbContext db, Guid chatId) : IResult
{
    private const string Count = "SELECT COUNT(*) FROM messages WHERE chat_id = ?1";

    // The order of ChatQueries' message queries.
    public const string Messages = """
        SELECT id, chat_id, role, content, reasoning_trace, created_at, is_complete, provider, model, input_tokens, output_tokens
        FROM messages WHERE chat_id = ?1 ORDER BY created_at, id
        """;

    public async Task ExecuteAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        await using var open = await db.OpenConnectionAsync(cancellationToken);
        var connection = SqliteRows.Handle(db);
        // One snapshot for the chat, its lineage, the count and the messages: a delete or an answer
        // stored meanwhile is seen whole or not at all (not a chat without its messages).
        using var snapshot = SqliteRows.BeginSnapshot(connection);
        var chat = await ChatQueries.FindAsync(db, chatId, cancellationToken);
        if (chat is null)
        {
            await ChatQueries.ChatNotFound(chatId).ExecuteAsync(context);
            return;
        }
        var lineage = await ChatQueries.LineageAsync(db, chatId, cancellationToken);

        using var count = SqliteRows.Prepare(connection, Count, chatId);
        using var messages = SqliteRows.Prepare(connection, Messages, chatId);
        SqliteRows.Step(count, connection);

        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await using var writer = SqliteRows.StartJson(context, json);
        SqliteRows.WriteChatHead(writer, chat, raw.sqlite3_column_int(count, 0));
        await WriteMessagesAsync(writer, messages, connection, context, cancellationToken);
        writer.WritePropertyName(Names.MergedFrom);
        JsonSerializer.Serialize(writer, lineage, json);
        writer.WriteEndObject();
    }

    /// <summary>The rows of <see cref="Messages"/>, as a JSON array.</summary>
    public static async Task WriteMessagesAsync(
        Utf8JsonWriter writer, sqlite3_stmt messages, sqlite3 connection, HttpContext context, CancellationToken cancellationToken)
    {
        writer.WriteStartArray();
        while (SqliteRows.Step(messages, connection))
        {
            WriteMessage(writer, messages);
            await SqliteRows.FlushWhenFullAsync(writer, context, cancellationToken);
        }
        writer.WriteEndArray();
    }

    private static void WriteMessage(Utf8JsonWriter writer, sqlite3_stmt row)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Id, SqliteRows.ReadId(raw.sqlite3_column_blob(row, 0)));
        writer.WriteString(Names.ChatId, SqliteRows.ReadId(raw.sqlite3_column_blob(row, 1)));
        writer.WriteString(Names.Role, raw.sqlite3_column_blob(row, 2));
        writer.WriteString(Names.Content, raw.sqlite3_column_blob(row, 3));
        SqliteRows.WriteText(writer, Names.ReasoningTrace, row, 4);
        writer.WriteString(Names.CreatedAt, SqliteRows.ReadTime(raw.sqlite3_column_blob(row, 5)));
        writer.WriteBoolean(Names.Incomplete, raw.sqlite3_column_int(row, 6) == 0);
        SqliteRows.WriteText(writer, Names.Provider, row, 7);
        SqliteRows.WriteText(writer, Names.Model, row, 8);
        SqliteRows.WriteInt(writer, Names.InputTokens, row, 9);
        SqliteRows.WriteInt(writer, Names.OutputTokens, row, 10);
        writer.WriteEndObject();
    }
}
