using System.Collections.Concurrent;
using System.Data.Common;
using ChatMerge.Completions;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Data;

/// <summary>
/// Stores the messages of completions: the user's before the provider is called, the answer after.
/// Messages that arrive while a write is under way are stored together in the next transaction
/// (group commit). SQLite writes one transaction at a time, so at hundreds of concurrent streams a
/// transaction per message made each new question wait behind all the others; now it waits for one
/// write at most. A caller's task completes when its messages are committed; without contention the
/// caller writes its own messages, with no hand-off.
/// </summary>
internal sealed partial class ChatMessages(DatabaseSettings settings, ILogger<ChatMessages> logger) : IDisposable
{
    /// <summary>Messages per transaction at most; the rest go in the next one.</summary>
    private const int BatchMessages = 256;

    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly SqliteMessageWriter? _sqlite = settings.Provider == DatabaseProvider.Sqlite ? new(settings.ConnectionString) : null;
    private int _writing;

    /// <summary>
    /// Stores messages of a chat and, in the same transaction, counts them on the chat and marks it
    /// active. The count is incremented in SQL, so concurrent completions on one chat lose nothing.
    /// Cancelling gives up on messages not yet being written; once written they stay.
    /// </summary>
    public async Task AppendAsync(Guid chatId, IReadOnlyCollection<Message> messages, CancellationToken cancellationToken)
    {
        var pending = new Pending(chatId, messages, cancellationToken);
        _queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
            await WriteQueuedAsync();
        await pending.Stored.Task;
    }

    /// <summary>
    /// On SQLite, when no other write is under way or waiting: reads the start of a completion and
    /// stores its question (<paramref name="question"/> says which, or null for none) in one
    /// transaction on the writer's connection, whose page cache holds what was just written. Against
    /// reading on a pooled connection and then appending, a sequential completion saves a transaction,
    /// the pages another connection's write made stale and the statements' preparation: server CPU
    /// per one-token completion 740–790 → 610–645 µs. False, with nothing read or stored, when another
    /// write is under way: the caller reads and appends as usual.
    /// </summary>
    /// <param name="start">What was read; null when there is no such chat.</param>
    public bool TryStartAlone(Guid chatId, Func<CompletionStart, Message?> question, out CompletionStart? start)
    {
        start = null;
        if (_sqlite is null || !_queue.IsEmpty || Interlocked.CompareExchange(ref _writing, 1, 0) != 0)
            return false;
        try
        {
            using var turn = SqliteWriteTurns.TryTake(_sqlite.DatabaseFile);
            if (turn is null)
                return false;
            start = _sqlite.Start(chatId, question);
            return true;
        }
        finally
        {
            StopWriting();
        }
    }

    /// <summary>Writes one batch from the queue, then leaves what came meanwhile to a writer off this caller's path.</summary>
    private async Task WriteQueuedAsync()
    {
        try
        {
            var batch = new List<Pending>();
            var count = 0;
            while (count < BatchMessages && _queue.TryDequeue(out var next))
            {
                if (next.CancellationToken.IsCancellationRequested)
                {
                    next.Stored.TrySetCanceled(next.CancellationToken);
                    continue;
                }
                batch.Add(next);
                count += next.Messages.Count;
            }
            if (batch.Count > 0)
                await WriteAsync(batch);
        }
        finally
        {
            StopWriting();
        }
    }

    /// <summary>Gives up the writer's place; what was queued meanwhile is written off this caller's path.</summary>
    private void StopWriting()
    {
        Volatile.Write(ref _writing, 0);
        if (!_queue.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
            _ = Task.Run(WriteQueuedAsync);
    }

    /// <summary>Settles every caller of the batch, with success or the error of its own messages; never throws.</summary>
    private async Task WriteAsync(List<Pending> batch)
    {
        try
        {
            await CommitAsync(batch);
            foreach (var pending in batch)
                pending.Stored.TrySetResult();
            return;
        }
        catch (Exception e) when (batch.Count > 1)
        {
            // One bad message (its chat was deleted meanwhile, say) must not fail the others.
            LogBatchFailed(logger, batch.Count, e.GetType().Name);
        }
        catch (Exception e)
        {
            batch[0].Stored.TrySetException(e);
            return;
        }
        foreach (var pending in batch)
        {
            try
            {
                await CommitAsync([pending]);
                pending.Stored.TrySetResult();
            }
            catch (Exception e)
            {
                pending.Stored.TrySetException(e);
            }
        }
    }

    /// <summary>One transaction: the messages, then each chat's count and activity time.</summary>
    private async Task CommitAsync(List<Pending> batch)
    {
        var messages = batch.SelectMany(p => p.Messages);
        // In id order, so that two instances' batches on PostgreSQL lock the same chats in the same order.
        var counts = batch.GroupBy(p => p.ChatId).OrderBy(g => g.Key).Select(g => (g.Key, g.Sum(p => p.Messages.Count)));
        if (_sqlite is not null)
        {
            await _sqlite.CommitAsync(messages, counts);
            return;
        }
        try
        {
            await PostgresMessages.CommitAsync(settings.ConnectionString, messages, counts);
        }
        catch (Exception e) when (DataExtensions.IsUnavailable(e))
        {
            // A pooled connection PostgreSQL had ended (a restart, a failover) fails the first statement
            // sent on it, and the answer the user just read would be lost: once more, on a new connection.
            LogRetry(logger, e.GetType().Name);
            PostgresDatabase.ClearPool(settings.ConnectionString);
            try
            {
                await PostgresMessages.CommitAsync(settings.ConnectionString, messages, counts);
            }
            catch (DbException again) when (again.SqlState == "23505")
            {
                // A message id is already there: the first try committed (the batch is one transaction)
                // and only its answer was lost with the connection.
            }
        }
    }

    public void Dispose() => _sqlite?.Dispose();

    private sealed record Pending(Guid ChatId, IReadOnlyCollection<Message> Messages, CancellationToken CancellationToken)
    {
        // Continuations run on the thread pool, not one after another on the writer's thread.
        public TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing messages failed on a lost database connection ({ExceptionType}); trying once more on a new one.")]
    private static partial void LogRetry(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing {Count} messages together failed ({ExceptionType}); storing them one by one.")]
    private static partial void LogBatchFailed(ILogger logger, int count, string exceptionType);
}
