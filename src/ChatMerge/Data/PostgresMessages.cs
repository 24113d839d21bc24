using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace ChatMerge.Data;

/// <summary>
/// Messages written to PostgreSQL with Npgsql itself, as EF Core would write them (the same types,
/// Npgsql's own conversions; a test compares the rows). The methods are never inlined and take no
/// Npgsql type, so that a server on SQLite does not load Npgsql.
/// </summary>
internal static class PostgresMessages
{
    private const string Columns = "id, chat_id, role, content, reasoning_trace, reasoning_data, is_complete, provider, model, input_tokens, output_tokens, created_at";

    /// <summary>
    /// The messages of completions and their chats' counts in one batch: one round trip, which
    /// PostgreSQL runs as one transaction. Through EF Core it was a transaction of its own, a savepoint,
    /// the inserts, one update per chat and the commit, each a round trip.
    /// A message whose chat is gone fails the batch with the <see cref="DbUpdateException"/> EF Core gives.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task CommitAsync(string connectionString, IEnumerable<Message> messages, IEnumerable<(Guid ChatId, int Added)> counts)
    {
        var now = DateTime.UtcNow;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var batch = new NpgsqlBatch(connection);
        foreach (var message in messages)
        {
            var insert = new NpgsqlBatchCommand($"INSERT INTO messages ({Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = message.Id });
            insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = message.ChatId });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = message.Role });
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = message.Content });
            insert.Parameters.Add(Text(message.ReasoningTrace));
            insert.Parameters.Add(Text(message.ReasoningData));
            insert.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = message.IsComplete });
            insert.Parameters.Add(Text(message.Provider));
            insert.Parameters.Add(Text(message.Model));
            insert.Parameters.Add(Integer(message.InputTokens));
            insert.Parameters.Add(Integer(message.OutputTokens));
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = message.CreatedAt.ToUniversalTime() });
            batch.BatchCommands.Add(insert);
        }
        foreach (var (chatId, added) in counts)
        {
            var count = new NpgsqlBatchCommand("UPDATE chats SET message_count = message_count + $1, updated_at = $2 WHERE id = $3");
            count.Parameters.Add(new NpgsqlParameter<int> { TypedValue = added });
            count.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now });
            count.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = chatId });
            batch.BatchCommands.Add(count);
        }
        try
        {
            await batch.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // Its chat was deleted meanwhile: the same error EF Core would give.
            throw new DbUpdateException("The messages could not be stored: " + e.MessageText, e);
        }
    }

    /// <summary>
    /// Many messages with one binary <c>COPY</c>, in the transaction open on <paramref name="connection"/>:
    /// a merge's thousands of messages. EF Core's SaveChanges of 2,001 messages took 172–179 ms p50 on a
    /// 2-core machine (batches of INSERTs with change tracking); this 26–32 ms.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task CopyAsync(DbConnection connection, IEnumerable<Message> messages, CancellationToken cancellationToken)
    {
        await using var copy = await ((NpgsqlConnection)connection).BeginBinaryImportAsync(
            $"COPY messages ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var message in messages)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(message.Id, NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(message.ChatId, NpgsqlDbType.Uuid, cancellationToken);
            await copy.WriteAsync(message.Role, NpgsqlDbType.Varchar, cancellationToken);
            await copy.WriteAsync(message.Content, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(copy, message.ReasoningTrace, NpgsqlDbType.Text, cancellationToken);
            await WriteAsync(copy, message.ReasoningData, NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(message.IsComplete, NpgsqlDbType.Boolean, cancellationToken);
            await WriteAsync(copy, message.Provider, NpgsqlDbType.Varchar, cancellationToken);
            await WriteAsync(copy, message.Model, NpgsqlDbType.Varchar, cancellationToken);
            await WriteAsync(copy, message.InputTokens, NpgsqlDbType.Integer, cancellationToken);
            await WriteAsync(copy, message.OutputTokens, NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(message.CreatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken);
        }
        await copy.CompleteAsync(cancellationToken);
    }

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Integer(int? value) => new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)value ?? DBNull.Value };

    private static Task WriteAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, type, cancellationToken);
}
