using ChatMerge.Chats;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Completions;

/// <summary>The messages of completions are written together when they arrive together (group commit).</summary>
public sealed class ChatMessagesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Messages_stored_at_once_are_all_kept_and_counted()
    {
        var chats = new List<Guid>();
        for (var i = 0; i < 4; i++)
            chats.Add(Guid.Parse((await server.CreateChatAsync(title: $"together {i}")).GetProperty("id").GetString()!));
        var writer = server.Services.GetRequiredService<ChatMessages>();

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            writer.AppendAsync(chats[i % chats.Count], [new Message { ChatId = chats[i % chats.Count], Role = "user", Content = $"m{i}" }], default))));

        foreach (var chat in chats)
            await AssertStoredAsync(chat, 50);
    }

    [Fact]
    public async Task A_message_that_cannot_be_stored_fails_alone()
    {
        var chat = Guid.Parse((await server.CreateChatAsync(title: "with a bad neighbour")).GetProperty("id").GetString()!);
        var gone = Guid.NewGuid();
        var writer = server.Services.GetRequiredService<ChatMessages>();

        Task Append(Guid chatId, string content) => writer.AppendAsync(chatId, [new Message { ChatId = chatId, Role = "user", Content = content }], default);
        Task[] appends;
        await using (var scope = server.Services.CreateAsyncScope())
        {
            // Hold the write turn (SQLite) so that the next appends queue up and go in one transaction.
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            using var turn = await db.WriteTurnAsync(default);
            appends = [Append(chat, "first"), Append(chat, "second"), Append(gone, "no chat"), Append(chat, "third")];
            await Task.Delay(200);
        }
        var bad = appends[2];
        await Assert.ThrowsAsync<DbUpdateException>(() => bad);
        await Task.WhenAll(appends.Where(a => a != bad));

        await AssertStoredAsync(chat, 3);
    }

    [Fact]
    public async Task A_message_whose_caller_gave_up_before_its_write_is_not_stored()
    {
        var chat = Guid.Parse((await server.CreateChatAsync(title: "given up")).GetProperty("id").GetString()!);
        var writer = server.Services.GetRequiredService<ChatMessages>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            writer.AppendAsync(chat, [new Message { ChatId = chat, Role = "user", Content = "dropped" }], new CancellationToken(canceled: true)));
        await writer.AppendAsync(chat, [new Message { ChatId = chat, Role = "user", Content = "kept" }], default);

        await AssertStoredAsync(chat, 1);
        Assert.Equal("kept", await server.QueryScalarAsync<string>($"SELECT content FROM messages WHERE chat_id = {server.Database.IdLiteral(chat.ToString())}"));
    }

    [Fact]
    public async Task Messages_are_stored_as_EF_Core_stores_them()
    {
        var chat = Guid.Parse((await server.CreateChatAsync(title: "as EF Core would")).GetProperty("id").GetString()!);
        var writer = server.Services.GetRequiredService<ChatMessages>();
        // Microseconds: PostgreSQL keeps no finer time.
        var at = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1_234_560);
        Message Full() => new()
        {
            ChatId = chat, Role = "assistant", Content = "Ünïcödé 😀 \"quoted\"", ReasoningTrace = "thought", ReasoningData = "[{\"type\":\"thinking\"}]",
            IsComplete = false, Provider = "anthropic", Model = "claude-sonnet-4-5", InputTokens = 12, OutputTokens = 34, CreatedAt = at,
        };
        Message Bare() => new() { ChatId = chat, Role = "user", Content = "hi", CreatedAt = at.AddSeconds(1).AddTicks(-at.Ticks % TimeSpan.TicksPerSecond) };
        var (viaEf, viaWriter) = (new[] { Full(), Bare() }, new[] { Full(), Bare() });
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            db.Messages.AddRange(viaEf);
            await db.SaveChangesAsync();
        }
        foreach (var message in viaWriter)
            await writer.AppendAsync(chat, [message], default);

        await using (var scope = server.Services.CreateAsyncScope())
        {
            var stored = (await ChatQueries.HistoryAsync(scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>(), chat, default)).ToDictionary(m => m.Id);
            foreach (var (ef, written) in viaEf.Zip(viaWriter))
            {
                var back = stored[written.Id];
                Assert.Equivalent(new { written.ChatId, written.Role, written.Content, written.ReasoningTrace, written.ReasoningData, written.IsComplete,
                    written.Provider, written.Model, written.InputTokens, written.OutputTokens, written.CreatedAt },
                    new { back.ChatId, back.Role, back.Content, back.ReasoningTrace, back.ReasoningData, back.IsComplete,
                    back.Provider, back.Model, back.InputTokens, back.OutputTokens, back.CreatedAt }, strict: true);
                Assert.Equal(DateTimeKind.Utc, back.CreatedAt.Kind);
                if (!server.Database.IsPostgres)
                {
                    // The same text and types in every column, so that SQL compares and orders them alike.
                    const string Columns = "id || '|' || chat_id || '|' || created_at || '|' || typeof(id) || typeof(chat_id) || typeof(role) || typeof(content) || " +
                        "typeof(reasoning_trace) || typeof(reasoning_data) || typeof(is_complete) || typeof(provider) || typeof(model) || " +
                        "typeof(input_tokens) || typeof(output_tokens) || typeof(created_at)";
                    string Row(Guid id) => $"SELECT {Columns} FROM messages WHERE id = {server.Database.IdLiteral(id.ToString())}";
                    var (efRow, writtenRow) = (await server.QueryScalarAsync<string>(Row(ef.Id)), await server.QueryScalarAsync<string>(Row(written.Id)));
                    Assert.Equal(efRow.Split('|')[2..], writtenRow.Split('|')[2..]);
                    Assert.Equal(ef.Id.ToString().ToUpperInvariant(), efRow.Split('|')[0]);
                    Assert.Equal(written.Id.ToString().ToUpperInvariant(), writtenRow.Split('|')[0]);
                }
            }
        }
        // The writer counted its two; the two saved around it were not counted.
        Assert.Equal(2, await server.QueryScalarAsync<int>($"SELECT message_count FROM chats WHERE id = {server.Database.IdLiteral(chat.ToString())}"));
    }

    /// <summary>The chat has <paramref name="count"/> messages, and its stored count says so.</summary>
    private async Task AssertStoredAsync(Guid chat, int count)
    {
        var id = server.Database.IdLiteral(chat.ToString());
        Assert.Equal(count, await server.QueryScalarAsync<int>($"SELECT COUNT(*) FROM messages WHERE chat_id = {id}"));
        Assert.Equal(count, await server.QueryScalarAsync<int>($"SELECT message_count FROM chats WHERE id = {id}"));
    }
}
