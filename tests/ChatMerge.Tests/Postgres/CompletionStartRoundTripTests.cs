using System.Diagnostics;
using System.Net.Http.Json;
using ChatMerge.Chats;
using ChatMerge.Completions;
using ChatMerge.Data;
using ChatMerge.Keys;
using ChatMerge.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ChatMerge.Tests.Postgres;

/// <summary>
/// On PostgreSQL a completion's first reads are one batch: one round trip, one snapshot. What they
/// read is compared with EF Core's on both databases (<see cref="Completions.CompletionStartTests"/>).
/// </summary>
public sealed class CompletionStartRoundTripTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [PostgresFact]
    public async Task The_chat_its_key_and_its_messages_are_read_in_one_round_trip()
    {
        var chat = await CreateChatAsync();
        await server.Services.GetRequiredService<ChatMessages>().AppendAsync(chat, [new Message { ChatId = chat, Role = "user", Content = "hi" }], default);
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        // Opened beforehand, so that only the reads' commands are counted.
        await db.Database.OpenConnectionAsync();

        var start = default(CompletionStart);
        Assert.Equal(1, await CommandsAsync(async () => start = await CompletionStart.ReadAsync(db, chat, default)));
        Assert.Equal(["hi"], start!.History.Select(m => m.Content));
        Assert.NotNull(start.StoredKey);
        // EF Core's three queries, counted the same way: the count sees each round trip.
        Assert.Equal(3, await CommandsAsync(async () =>
        {
            await ChatQueries.FindAsync(db, chat, default);
            await KeyVault.StoredKeyAsync(db, "anthropic", default);
            await ChatQueries.HistoryAsync(db, chat, default);
        }));
    }

    [PostgresFact]
    public async Task A_provider_changed_during_the_reads_does_not_pair_the_chat_with_another_providers_key()
    {
        var chat = await CreateChatAsync();
        (await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sk-openai-0123456789" })).EnsureSuccessStatusCode();
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        var anthropicKey = await KeyVault.StoredKeyAsync(db, "anthropic", default);

        // The key's read waits behind a lock while the chat moves to another provider: a read with a
        // snapshot of its own would see the new provider and return its key.
        await using var locker = await LockKeysAsync();
        var reading = CompletionStart.ReadAsync(db, chat, default);
        await WaitForTheLockAsync();
        await server.Database.ExecuteAsync($"UPDATE chats SET provider = 'openai' WHERE id = {server.Database.IdLiteral(chat.ToString())}");
        await locker.ReleaseAsync();
        var start = await reading;

        Assert.Equal("anthropic", start!.Chat.Provider);
        Assert.Equal(anthropicKey, start.StoredKey);
    }

    [PostgresFact]
    public async Task A_read_cancelled_midway_leaves_no_transaction_open()
    {
        var chat = await CreateChatAsync();
        using var cancel = new CancellationTokenSource();
        await using (var locker = await LockKeysAsync())
        {
            await using var scope = server.Services.CreateAsyncScope();
            var reading = CompletionStart.ReadAsync(scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>(), chat, cancel.Token);
            await WaitForTheLockAsync();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
            await locker.ReleaseAsync();
        }

        // The batch's BEGIN ran and its COMMIT did not: the connection went back to the pool rolled back.
        Assert.Equal(0, await server.QueryScalarAsync<int>(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'"));
    }

    private async Task<Guid> CreateChatAsync()
    {
        var chat = Guid.Parse((await server.CreateChatAsync("anthropic", "claude-sonnet-4-5")).GetProperty("id").GetString()!);
        (await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "sk-ant-0123456789" })).EnsureSuccessStatusCode();
        return chat;
    }

    /// <summary>A transaction that holds api_keys: a read of the table waits until it is released.</summary>
    private async Task<KeysLock> LockKeysAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.Database.Url) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("BEGIN; LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE", connection);
        await command.ExecuteNonQueryAsync();
        return new KeysLock(connection);
    }

    private sealed class KeysLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async Task ReleaseAsync()
        {
            await using var command = new NpgsqlCommand("ROLLBACK", connection);
            await command.ExecuteNonQueryAsync();
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    private Task WaitForTheLockAsync() => Eventually.GetAsync(async () => await server.QueryScalarAsync<int>(
        "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND relation = 'api_keys'::regclass") > 0 ? true : (bool?)null);

    /// <summary>The Npgsql commands (one each a round trip) that <paramref name="reads"/> runs, whatever else runs meanwhile.</summary>
    private static async Task<int> CommandsAsync(Func<Task> reads)
    {
        using var source = new ActivitySource("ChatMerge.Tests.RoundTrips");
        var commands = 0;
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source || s.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.Parent?.Source == source)
                    Interlocked.Increment(ref commands);
            },
        };
        ActivitySource.AddActivityListener(listener);
        using (source.StartActivity("reads"))
            await reads();
        return commands;
    }
}
