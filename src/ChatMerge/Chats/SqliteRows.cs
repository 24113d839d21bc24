using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatMerge.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using SQLitePCL;

namespace ChatMerge.Chats;

/// <summary>
/// Rows read with SQLite's own calls: written straight to a JSON response for the reads that return
/// thousands of rows (<see cref="SqliteChatList"/>, <see cref="SqliteChatDetail"/>,
/// <see cref="SqliteChatMessages"/>), or made into
/// entities on the completion's hot path (<see cref="Completions.CompletionStart"/>).
/// Values are read as Microsoft.Data.Sqlite and EF Core read them.
/// </summary>
internal static class SqliteRows
{
    /// <summary>The API's property names (snake_case), encoded once.</summary>
    public static class Names
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id");
        public static readonly JsonEncodedText Title = JsonEncodedText.Encode("title");
        public static readonly JsonEncodedText Provider = JsonEncodedText.Encode("provider");
        public static readonly JsonEncodedText Model = JsonEncodedText.Encode("model");
        public static readonly JsonEncodedText SystemPrompt = JsonEncodedText.Encode("system_prompt");
        public static readonly JsonEncodedText CreatedAt = JsonEncodedText.Encode("created_at");
        public static readonly JsonEncodedText UpdatedAt = JsonEncodedText.Encode("updated_at");
        public static readonly JsonEncodedText MessageCount = JsonEncodedText.Encode("message_count");
        public static readonly JsonEncodedText Messages = JsonEncodedText.Encode("messages");
        public static readonly JsonEncodedText MergedFrom = JsonEncodedText.Encode("merged_from");
        public static readonly JsonEncodedText ChatId = JsonEncodedText.Encode("chat_id");
        public static readonly JsonEncodedText Role = JsonEncodedText.Encode("role");
        public static readonly JsonEncodedText Content = JsonEncodedText.Encode("content");
        public static readonly JsonEncodedText ReasoningTrace = JsonEncodedText.Encode("reasoning_trace");
        public static readonly JsonEncodedText Incomplete = JsonEncodedText.Encode("incomplete");
        public static readonly JsonEncodedText InputTokens = JsonEncodedText.Encode("input_tokens");
        public static readonly JsonEncodedText OutputTokens = JsonEncodedText.Encode("output_tokens");
    }

    /// <summary>The response is handed to the network each time this much JSON is ready.</summary>
    private const int FlushBytes = 32 * 1024;

    /// <summary>The native handle of the context's connection, which must be open.</summary>
    public static sqlite3 Handle(ChatMergeDbContext db) => ((SqliteConnection)db.Database.GetDbConnection()).Handle!;

    public static sqlite3_stmt Prepare(sqlite3 connection, string sql)
    {
        Check(raw.sqlite3_prepare_v2(connection, sql, out var statement), connection);
        return statement;
    }

    /// <summary>A statement whose parameter ?1 is the chat's id, as EF Core stores it.</summary>
    public static sqlite3_stmt Prepare(sqlite3 connection, string sql, Guid chatId)
    {
        var statement = Prepare(connection, sql);
        Check(raw.sqlite3_bind_text(statement, 1, SqliteMessageWriter.Id(chatId)), connection);
        return statement;
    }

    /// <summary>One snapshot for several reads; read only, so it ends with a rollback when disposed.</summary>
    public static Snapshot BeginSnapshot(sqlite3 connection)
    {
        Check(raw.sqlite3_exec(connection, "BEGIN"), connection);
        return new Snapshot(connection);
    }

    public readonly struct Snapshot(sqlite3 connection) : IDisposable
    {
        public void Dispose() => raw.sqlite3_exec(connection, "ROLLBACK");
    }

    /// <summary>Moves to the next row; false after the last.</summary>
    public static bool Step(sqlite3_stmt statement, sqlite3 connection)
    {
        var result = raw.sqlite3_step(statement);
        if (result == raw.SQLITE_ROW)
            return true;
        if (result != raw.SQLITE_DONE)
            Check(result, connection);
        return false;
    }

    /// <summary>A <see cref="ChatDetail"/>'s opening: the chat's fields, up to the name of its messages' array.</summary>
    public static void WriteChatHead(Utf8JsonWriter writer, Chat chat, int messageCount)
    {
        writer.WriteStartObject();
        writer.WriteString(Names.Id, chat.Id);
        writer.WriteString(Names.Title, chat.Title);
        writer.WriteString(Names.Provider, chat.Provider);
        writer.WriteString(Names.Model, chat.Model);
        writer.WriteString(Names.SystemPrompt, chat.SystemPrompt);
        writer.WriteString(Names.CreatedAt, chat.CreatedAt);
        writer.WriteString(Names.UpdatedAt, chat.UpdatedAt);
        writer.WriteNumber(Names.MessageCount, messageCount);
        writer.WritePropertyName(Names.Messages);
    }

    /// <summary>A JSON writer on the response body, with the API's encoder.</summary>
    public static Utf8JsonWriter StartJson(HttpContext context, JsonSerializerOptions json)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Encoder = json.Encoder, Indented = json.WriteIndented });
    }

    public static async ValueTask FlushWhenFullAsync(Utf8JsonWriter writer, HttpContext context, CancellationToken cancellationToken)
    {
        if (writer.BytesPending < FlushBytes)
            return;
        writer.Flush();
        await context.Response.BodyWriter.FlushAsync(cancellationToken);
    }

    /// <summary>A text column, or null.</summary>
    public static void WriteText(Utf8JsonWriter writer, JsonEncodedText name, sqlite3_stmt row, int column)
    {
        if (raw.sqlite3_column_type(row, column) == raw.SQLITE_NULL)
            writer.WriteNull(name);
        else
            writer.WriteString(name, raw.sqlite3_column_blob(row, column));
    }

    /// <summary>An integer column, or null.</summary>
    public static void WriteInt(Utf8JsonWriter writer, JsonEncodedText name, sqlite3_stmt row, int column)
    {
        if (raw.sqlite3_column_type(row, column) == raw.SQLITE_NULL)
            writer.WriteNull(name);
        else
            writer.WriteNumber(name, raw.sqlite3_column_int(row, column));
    }

    /// <summary>A text column, or null.</summary>
    public static string? ReadText(sqlite3_stmt row, int column) =>
        raw.sqlite3_column_type(row, column) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(row, column).utf8_to_string();

    /// <summary>An integer column, or null.</summary>
    public static int? ReadInt(sqlite3_stmt row, int column) =>
        raw.sqlite3_column_type(row, column) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int(row, column);

    /// <summary>EF Core stores a Guid as its text (uppercase); a 16-byte blob is read as Microsoft.Data.Sqlite would.</summary>
    public static Guid ReadId(ReadOnlySpan<byte> value) =>
        Utf8Parser.TryParse(value, out Guid id, out var consumed, 'D') && consumed == value.Length ? id
        : value.Length == 16 ? new Guid(value)
        : Guid.Parse(Encoding.UTF8.GetString(value), CultureInfo.InvariantCulture);

    /// <summary>
    /// A stored time, in UTC as every time is. EF Core writes <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>;
    /// any other text is parsed as Microsoft.Data.Sqlite parses it.
    /// </summary>
    public static DateTime ReadTime(ReadOnlySpan<byte> value) =>
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

    public static void Check(int result, sqlite3 connection)
    {
        if (result != raw.SQLITE_OK)
            SqliteException.ThrowExceptionForRC(result, connection);
    }
}
