using ChatMerge.Completions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Data;

/// <summary>
/// Writes the messages of completions to SQLite on a connection of its own, kept open, with its
/// statements prepared once. Through EF Core each write rented a context, opened a pooled
/// connection (registering EF's SQL functions on it and removing them at close), prepared four
/// statements and tracked the entities: about 0.15 ms of CPU per message, twice per completion.
/// Rows are written as EF Core writes them (ids as uppercase text, times as
/// <c>yyyy-MM-dd HH:mm:ss.FFFFFFF</c>); a test reads them back through EF Core.
/// A completion that starts with no other write under way also reads its chat here (<see cref="Start"/>).
/// Used by one writer at a time: every use holds the database file's write turn.
/// </summary>
internal sealed class SqliteMessageWriter(string connectionString) : IDisposable
{
    /// <summary>
    /// SQLite copies its log into the database (a checkpoint, which syncs the file: milliseconds) inside
    /// the commit that takes the log past a number of pages, 1,000 by default. On this connection a
    /// commit that stores answers only does it from 1,000 pages; one that stores a question, which the
    /// asker waits for before the provider is called, only from 4,000 pages, so that the log stays
    /// bounded when no answers come. Sequential completions then leave the checkpoints to the answers,
    /// stored before <c>done</c>, instead of one first token in about 80 waiting for one.
    /// </summary>
    public const int AnswerCheckpointPages = 1_000;
    public const int QuestionCheckpointPages = 4_000;

    public string DatabaseFile { get; } = new SqliteConnectionStringBuilder(connectionString).DataSource;
    private SqliteConnection? _connection;
    private SqliteCommand? _insert;
    private SqliteCommand? _count;
    private CompletionStart.SqliteReads? _reads;

    public async Task CommitAsync(IEnumerable<Message> messages, IEnumerable<(Guid ChatId, int Added)> counts)
    {
        var now = DateTime.UtcNow;
        using var turn = await SqliteWriteTurns.WaitAsync(DatabaseFile, CancellationToken.None);
        var (connection, insert, count) = Open();
        try
        {
            using var transaction = connection.BeginTransaction();
            insert.Transaction = count.Transaction = transaction;
            var questions = false;
            foreach (var message in messages)
            {
                Insert(insert, message);
                questions |= message.Role == "user";
            }
            CheckpointFrom(connection, questions ? QuestionCheckpointPages : AnswerCheckpointPages);
            foreach (var (chatId, added) in counts)
                Count(count, chatId, added, now);
            transaction.Commit();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == SQLitePCL.raw.SQLITE_CONSTRAINT)
        {
            // A refused row (its chat was deleted meanwhile, say): the same error EF Core would give.
            throw new DbUpdateException("The messages could not be stored: " + e.Message, e);
        }
        catch (SqliteException e) when (e.SqliteErrorCode != SQLitePCL.raw.SQLITE_BUSY)
        {
            // Anything worse: start again on a fresh connection next time.
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the start of a completion and stores its question (<paramref name="question"/> decides
    /// which, or none) in one transaction. For a caller that holds the write turn.
    /// </summary>
    public CompletionStart? Start(Guid chatId, Func<CompletionStart, Message?> question)
    {
        var (connection, insert, count) = Open();
        try
        {
            using var transaction = connection.BeginTransaction();
            _reads ??= new CompletionStart.SqliteReads(connection.Handle!);
            var start = _reads.Read(chatId);
            if (start is null || question(start) is not { } message)
                return start;
            insert.Transaction = count.Transaction = transaction;
            Insert(insert, message);
            Count(count, chatId, 1, DateTime.UtcNow);
            CheckpointFrom(connection, QuestionCheckpointPages);
            transaction.Commit();
            return start;
        }
        catch (SqliteException e) when (e.SqliteErrorCode != SQLitePCL.raw.SQLITE_BUSY && e.SqliteErrorCode != SQLitePCL.raw.SQLITE_CONSTRAINT)
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The log size from which this connection's next commit checkpoints (see <see cref="AnswerCheckpointPages"/>).</summary>
    private static void CheckpointFrom(SqliteConnection connection, int pages)
    {
        var result = SQLitePCL.raw.sqlite3_wal_autocheckpoint(connection.Handle!, pages);
        if (result != SQLitePCL.raw.SQLITE_OK)
            SqliteException.ThrowExceptionForRC(result, connection.Handle);
    }

    /// <summary>
    /// Stores messages on <paramref name="transaction"/>'s connection with one prepared statement: a
    /// merge's thousands of messages, in the caller's transaction. Through EF Core's SaveChanges, 2,000
    /// messages took ~70–95 ms on a 2-core machine, most of it tracking and one command per row.
    /// </summary>
    public static void InsertAll(SqliteTransaction transaction, IEnumerable<Message> messages)
    {
        using var insert = PrepareInsert(transaction.Connection!);
        insert.Transaction = transaction;
        foreach (var message in messages)
            Insert(insert, message);
    }

    private static SqliteCommand PrepareInsert(SqliteConnection connection) => Prepare(connection, """
        INSERT INTO messages (id, chat_id, role, content, reasoning_trace, reasoning_data, is_complete, provider, model, input_tokens, output_tokens, created_at)
        VALUES ($id, $chat_id, $role, $content, $reasoning_trace, $reasoning_data, $is_complete, $provider, $model, $input_tokens, $output_tokens, $created_at)
        """, "$id", "$chat_id", "$role", "$content", "$reasoning_trace", "$reasoning_data", "$is_complete", "$provider", "$model",
        "$input_tokens", "$output_tokens", "$created_at");

    private static void Insert(SqliteCommand insert, Message message)
    {
        Bind(insert, "$id", Id(message.Id));
        Bind(insert, "$chat_id", Id(message.ChatId));
        Bind(insert, "$role", message.Role);
        Bind(insert, "$content", message.Content);
        Bind(insert, "$reasoning_trace", message.ReasoningTrace);
        Bind(insert, "$reasoning_data", message.ReasoningData);
        Bind(insert, "$is_complete", message.IsComplete);
        Bind(insert, "$provider", message.Provider);
        Bind(insert, "$model", message.Model);
        Bind(insert, "$input_tokens", message.InputTokens);
        Bind(insert, "$output_tokens", message.OutputTokens);
        Bind(insert, "$created_at", message.CreatedAt.ToUniversalTime());
        insert.ExecuteNonQuery();
    }

    private static void Count(SqliteCommand count, Guid chatId, int added, DateTime now)
    {
        Bind(count, "$added", added);
        Bind(count, "$now", now);
        Bind(count, "$id", Id(chatId));
        count.ExecuteNonQuery();
    }

    private (SqliteConnection, SqliteCommand, SqliteCommand) Open()
    {
        if (_connection is not null)
            return (_connection, _insert!, _count!);
        _connection = new SqliteConnection(connectionString);
        try
        {
            _connection.Open();
            using (var pragmas = _connection.CreateCommand())
            {
                pragmas.CommandText = DataExtensions.SqliteConnectionPragmas;
                pragmas.ExecuteNonQuery();
            }
            _insert = PrepareInsert(_connection);
            _count = Prepare(_connection, "UPDATE chats SET message_count = message_count + $added, updated_at = $now WHERE id = $id",
                "$added", "$now", "$id");
            return (_connection, _insert, _count);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, string name, object? value) => command.Parameters[name].Value = value ?? DBNull.Value;

    /// <summary>A Guid as EF Core stores it on SQLite.</summary>
    public static string Id(Guid id) => id.ToString("D").ToUpperInvariant();

    public void Dispose()
    {
        _reads?.Dispose();
        _insert?.Dispose();
        _count?.Dispose();
        _connection?.Dispose();
        (_connection, _insert, _count, _reads) = (null, null, null, null);
    }
}
