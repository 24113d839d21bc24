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

    /// <summary>The chat has <paramref name="count"/> messages, and its stored count says so.</summary>
    private async Task AssertStoredAsync(Guid chat, int count)
    {
        var id = server.Database.IdLiteral(chat.ToString());
        Assert.Equal(count, await server.QueryScalarAsync<int>($"SELECT COUNT(*) FROM messages WHERE chat_id = {id}"));
        Assert.Equal(count, await server.QueryScalarAsync<int>($"SELECT message_count FROM chats WHERE id = {id}"));
    }
}
