using System.Data.Common;
using System.Runtime.CompilerServices;
using ChatMerge.Data;
using Npgsql;

namespace ChatMerge.Completions;

/// <summary>
/// On PostgreSQL, the reads of <see cref="CompletionStart"/> in one batch: one round trip where three
/// EF Core queries took three. Values are read as EF Core reads them (a test compares every field).
/// Never inlined and taking no Npgsql type, so that a server on SQLite does not load Npgsql.
/// </summary>
internal static class PostgresCompletionStart
{
    // One snapshot for the three reads. A batch is one implicit transaction, but in READ COMMITTED
    // each statement takes a snapshot of its own: a provider changed between the chat's read and the
    // key's would hand the chat one provider's key for another provider's API. BEGIN and COMMIT ride in
    // the same batch, so the snapshot costs no round trip; read-only repeatable read never fails to
    // serialize. Were a statement to fail, Npgsql rolls the open transaction back before the
    // connection is pooled again.
    private const string Begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

    private const string ChatById = """
        SELECT id, title, provider, model, system_prompt, created_at, updated_at, message_count
        FROM chats WHERE id = $1
        """;

    // KeyVault's query, for the provider of the chat as the first statement read it.
    private const string ActiveKey = """
        SELECT encrypted_key FROM api_keys
        WHERE provider = (SELECT provider FROM chats WHERE id = $1) AND is_active LIMIT 1
        """;

    // The order of ChatQueries' message queries.
    private const string Messages = """
        SELECT id, chat_id, role, content, reasoning_trace, reasoning_data, is_complete, provider, model,
               input_tokens, output_tokens, created_at
        FROM messages WHERE chat_id = $1 ORDER BY created_at, id
        """;

    /// <summary>The start of a completion of <paramref name="chatId"/> on the open <paramref name="connection"/>, or null when there is no such chat.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task<CompletionStart?> ReadAsync(DbConnection connection, Guid chatId, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch((NpgsqlConnection)connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(Begin),
                ForChat(ChatById, chatId),
                ForChat(ActiveKey, chatId),
                ForChat(Messages, chatId),
                new NpgsqlBatchCommand("COMMIT"),
            },
        };
        // BEGIN and COMMIT return no rows: the reader's result sets are the three reads'.
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var chat = new Chat
        {
            Id = reader.GetGuid(0),
            Title = reader.GetString(1),
            Provider = reader.GetString(2),
            Model = reader.GetString(3),
            SystemPrompt = Text(reader, 4),
            CreatedAt = Time(reader, 5),
            UpdatedAt = Time(reader, 6),
            MessageCount = reader.GetInt32(7),
        };

        await reader.NextResultAsync(cancellationToken);
        var key = await reader.ReadAsync(cancellationToken) ? reader.GetString(0) : null;

        await reader.NextResultAsync(cancellationToken);
        var history = new List<Message>(chat.MessageCount + 1);
        while (await reader.ReadAsync(cancellationToken))
        {
            history.Add(new Message
            {
                Id = reader.GetGuid(0),
                ChatId = reader.GetGuid(1),
                Role = reader.GetString(2),
                Content = reader.GetString(3),
                ReasoningTrace = Text(reader, 4),
                ReasoningData = Text(reader, 5),
                IsComplete = reader.GetBoolean(6),
                Provider = Text(reader, 7),
                Model = Text(reader, 8),
                InputTokens = Integer(reader, 9),
                OutputTokens = Integer(reader, 10),
                CreatedAt = Time(reader, 11),
            });
        }
        return new CompletionStart(chat, key, history);
    }

    private static NpgsqlBatchCommand ForChat(string sql, Guid chatId) =>
        new(sql) { Parameters = { new NpgsqlParameter<Guid> { TypedValue = chatId } } };

    private static string? Text(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private static int? Integer(NpgsqlDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetInt32(column);

    // timestamp with time zone comes back as UTC; EF Core's converter marks it so all the same.
    private static DateTime Time(NpgsqlDataReader reader, int column) => DateTime.SpecifyKind(reader.GetDateTime(column), DateTimeKind.Utc);
}
