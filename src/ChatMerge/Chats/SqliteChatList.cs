using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatMerge.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SQLitePCL;

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

    private const int FlushBytes = 32 * 1024;

    private static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText Title = JsonEncodedText.Encode("title");
    private static readonly JsonEncodedText Provider = JsonEncodedText.Encode("provider");
    private static readonly JsonEncodedText Model = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText SystemPrompt = JsonEncodedText.Encode("system_prompt");
    private static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("created_at");
    private static readonly JsonEncodedText UpdatedAt = JsonEncodedText.Encode("updated_at");
    private static readonly JsonEncodedText MessageCount = JsonEncodedText.Encode("message_count");

    public async Task ExecuteAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await using var open = await db.OpenConnectionAsync(cancellationToken);
        var connection = ((SqliteConnection)db.Database.GetDbConnection()).Handle!;
        Check(raw.sqlite3_prepare_v2(connection, Query, out var statement), connection);
        using (statement)
        {
            Check(raw.sqlite3_bind_int64(statement, 1, limit ?? -1), connection);
            Check(raw.sqlite3_bind_int64(statement, 2, offset), connection);

            context.Response.ContentType = "application/json; charset=utf-8";
            var body = context.Response.BodyWriter;
            await using var writer = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = json.Encoder, Indented = json.WriteIndented });
            writer.WriteStartArray();
            int step;
            while ((step = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                WriteRow(writer, statement);
                if (writer.BytesPending >= FlushBytes)
                {
                    writer.Flush();
                    await body.FlushAsync(cancellationToken);
                }
            }
            if (step != raw.SQLITE_DONE)
                Check(step, connection);
            writer.WriteEndArray();
        }
    }

    private static void WriteRow(Utf8JsonWriter writer, sqlite3_stmt row)
    {
        writer.WriteStartObject();
        writer.WriteString(Id, ReadId(raw.sqlite3_column_blob(row, 0)));
        writer.WriteString(Title, raw.sqlite3_column_blob(row, 1));
        writer.WriteString(Provider, raw.sqlite3_column_blob(row, 2));
        writer.WriteString(Model, raw.sqlite3_column_blob(row, 3));
        if (raw.sqlite3_column_type(row, 4) == raw.SQLITE_NULL)
            writer.WriteNull(SystemPrompt);
        else
            writer.WriteString(SystemPrompt, raw.sqlite3_column_blob(row, 4));
        writer.WriteString(CreatedAt, ReadTime(raw.sqlite3_column_blob(row, 5)));
        writer.WriteString(UpdatedAt, ReadTime(raw.sqlite3_column_blob(row, 6)));
        writer.WriteNumber(MessageCount, raw.sqlite3_column_int(row, 7));
        writer.WriteEndObject();
    }

    /// <summary>EF Core stores a Guid as its text (uppercase); a 16-byte blob is read as Microsoft.Data.Sqlite would.</summary>
    internal static Guid ReadId(ReadOnlySpan<byte> value) =>
        Utf8Parser.TryParse(value, out Guid id, out var consumed, 'D') && consumed == value.Length ? id
        : value.Length == 16 ? new Guid(value)
        : Guid.Parse(Encoding.UTF8.GetString(value), CultureInfo.InvariantCulture);

    /// <summary>
    /// A stored time, in UTC as every time is. EF Core writes <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>;
    /// any other text is parsed as Microsoft.Data.Sqlite parses it.
    /// </summary>
    internal static DateTime ReadTime(ReadOnlySpan<byte> value) =>
        TryReadStoredTime(value, out var time) ? time
        : DateTime.SpecifyKind(DateTime.Parse(Encoding.UTF8.GetString(value), CultureInfo.InvariantCulture), DateTimeKind.Utc);

    private static bool TryReadStoredTime(ReadOnlySpan<byte> value, out DateTime time)
    {
        time = default;
        if (value.Length is not (19 or (>= 21 and <= 27)) || value[4] != '-' || value[7] != '-' || value[10] != ' '
            || value[13] != ':' || value[16] != ':' || (value.Length > 19 && value[19] != '.'))
            return false;
        var fraction = value.Length > 19 ? value[20..] : [];
        if (!Digits(value[..4], out var year) || !Digits(value[5..7], out var month) || !Digits(value[8..10], out var day)
            || !Digits(value[11..13], out var hour) || !Digits(value[14..16], out var minute) || !Digits(value[17..19], out var second)
            || !Digits(fraction, out var ticks))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        for (var digits = fraction.Length; digits < 7; digits++)
            ticks *= 10;
        time = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks);
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9')
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static void Check(int result, sqlite3 connection)
    {
        if (result != raw.SQLITE_OK)
            SqliteException.ThrowExceptionForRC(result, connection);
    }
}
