using System.Text.Json;
using ChatMerge.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using SQLitePCL;
using static ChatMerge.Chats.SqliteRows;

namespace ChatMerge.Chats;

/// <summary>
/// <c>GET /api/chats</c> on SQLite: each row goes from SQLite's buffers straight into the response's
/// JSON, a few kilobytes at a time. Through Microsoft.Data.Sqlite and EF Core, 10k chats took ~35 ms
/// to read: two native calls per column, and a string and an object per value that the serializer
/// then reads again. This takes ~10 ms, reading and writing included.
/// The bytes are the ones serializing the <see cref="ChatSummary"/> list writes; a test compares them.
/// </summary>
internal sealed class SqliteChatList(SqliteChatMergeDbContext db, int? limit, int offset) : IResult
{
    // The list's order is the (updated_at, id) index read backwards: no sort. LIMIT -1 is no limit.
    private const string Query = """
        SELECT id, title, provider, model, system_prompt, created_at, updated_at, message_count
        FROM chats ORDER BY updated_at DESC, id DESC LIMIT ?1 OFFSET ?2
        """;

    public async Task ExecuteAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await using var open = await db.OpenConnectionAsync(cancellationToken);
        var connection = SqliteRows.Handle(db);
        using var statement = SqliteRows.Prepare(connection, Query);
        SqliteRows.Check(raw.sqlite3_bind_int64(statement, 1, limit ?? -1), connection);
        SqliteRows.Check(raw.sqlite3_bind_int64(statement, 2, offset), connection);

        await using var writer = SqliteRows.StartJson(context, json);
        writer.WriteStartArray();
        while (SqliteRows.Step(statement, connection))
        {
            WriteRow(writer, statement);
            await SqliteRows.FlushWhenFullAsync(writer, context, cancellationToken);
        }
        writer.WriteEndArray();
    }

    private static void WriteRow(Utf8JsonWriter writer, sqlite3_stmt row)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Id, SqliteRows.ReadId(raw.sqlite3_column_blob(row, 0)));
        writer.WriteString(Names.Title, raw.sqlite3_column_blob(row, 1));
        writer.WriteString(Names.Provider, raw.sqlite3_column_blob(row, 2));
        writer.WriteString(Names.Model, raw.sqlite3_column_blob(row, 3));
        SqliteRows.WriteText(writer, Names.SystemPrompt, row, 4);
        writer.WriteString(Names.CreatedAt, SqliteRows.ReadTime(raw.sqlite3_column_blob(row, 5)));
        writer.WriteString(Names.UpdatedAt, SqliteRows.ReadTime(raw.sqlite3_column_blob(row, 6)));
        writer.WriteNumber(Names.MessageCount, raw.sqlite3_column_int(row, 7));
        writer.WriteEndObject();
    }
}
