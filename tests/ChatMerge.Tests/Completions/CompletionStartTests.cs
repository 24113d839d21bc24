using System.Net.Http.Json;
using System.Text.Json;
using ChatMerge.Chats;
using ChatMerge.Completions;
using ChatMerge.Data;
using ChatMerge.Keys;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Completions;

/// <summary>
/// What a completion reads first is what EF Core reads: on SQLite it comes straight from SQLite, on
/// PostgreSQL from one Npgsql batch (<see cref="Postgres.CompletionStartRoundTripTests"/>).
/// </summary>
public sealed class CompletionStartTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_chat_its_stored_key_and_its_messages_are_read_as_EF_Core_reads_them()
    {
        var chat = Guid.Parse((await server.CreateChatAsync("anthropic", "claude-sonnet-4-5", "Ünïcödé 😀 \"start\"", "Be brief.")).GetProperty("id").GetString()!);
        (await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "sk-ant-start-0123456789" })).EnsureSuccessStatusCode();
        var at = new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1_234_560);
        var writer = server.Services.GetRequiredService<ChatMessages>();
        await writer.AppendAsync(chat, [new Message { ChatId = chat, Role = "user", Content = "hi", CreatedAt = at }], default);
        await writer.AppendAsync(chat,
        [
            new Message
            {
                ChatId = chat, Role = "assistant", Content = "line\nbreak and \"quotes\"", ReasoningTrace = "thought", ReasoningData = "[{\"Text\":\"t\",\"Signature\":\"s\"}]",
                IsComplete = false, Provider = "anthropic", Model = "claude-sonnet-4-5", InputTokens = 12, OutputTokens = 34, CreatedAt = at.AddSeconds(1),
            },
        ], default);
        // Stored later at the same time, with a lower id: the id decides the order.
        var lowId = new Guid("00000000-0000-7000-8000-000000000001");
        await writer.AppendAsync(chat, [new Message { Id = lowId, ChatId = chat, Role = "user", Content = "again", CreatedAt = at.AddSeconds(1) }], default);

        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        var start = await CompletionStart.ReadAsync(db, chat, default);

        Assert.NotNull(start);
        var expectedChat = await ChatQueries.FindAsync(db, chat, default);
        var expectedKey = await KeyVault.StoredKeyAsync(db, "anthropic", default);
        var expectedHistory = await ChatQueries.HistoryAsync(db, chat, default);
        Assert.NotNull(expectedKey);
        Assert.Equal(["hi", "again", "line\nbreak and \"quotes\""], expectedHistory.Select(m => m.Content));
        Assert.Equal(JsonSerializer.Serialize(expectedChat), JsonSerializer.Serialize(start.Chat));
        Assert.Equal(expectedKey, start.StoredKey);
        Assert.Equal(JsonSerializer.Serialize(expectedHistory), JsonSerializer.Serialize(start.History));
        Assert.All(start.History, m => Assert.Equal(DateTimeKind.Utc, m.CreatedAt.Kind));
        Assert.Equal(DateTimeKind.Utc, start.Chat.UpdatedAt.Kind);
        Assert.Equal(3, start.Chat.MessageCount);
    }

    [Fact]
    public async Task A_chat_without_an_active_key_reads_none_and_an_unknown_chat_reads_nothing()
    {
        var chat = Guid.Parse((await server.CreateChatAsync("gemini", "gemini-2.5-flash")).GetProperty("id").GetString()!);
        // Another provider's key, and the chat's own made inactive: neither is the chat's key.
        (await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sk-other-0123456789" })).EnsureSuccessStatusCode();
        (await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "gemini", api_key = "AIza-inactive-0123456789" })).EnsureSuccessStatusCode();
        await server.Database.ExecuteAsync("UPDATE api_keys SET is_active = false WHERE provider = 'gemini'");
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();

        var start = await CompletionStart.ReadAsync(db, chat, default);

        Assert.NotNull(start);
        Assert.Null(start.StoredKey);
        Assert.Empty(start.History);
        // No system prompt: a null as EF Core reads it.
        Assert.Null(start.Chat.SystemPrompt);
        Assert.Equal(JsonSerializer.Serialize(await ChatQueries.FindAsync(db, chat, default)), JsonSerializer.Serialize(start.Chat));
        Assert.Null(await CompletionStart.ReadAsync(db, Guid.NewGuid(), default));
    }

    [SqliteFact]
    public async Task Alone_the_reads_and_the_question_share_one_transaction_and_a_write_under_way_goes_first()
    {
        var chat = Guid.Parse((await server.CreateChatAsync()).GetProperty("id").GetString()!);
        var messages = server.Services.GetRequiredService<ChatMessages>();
        var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(server.Services.GetRequiredService<DatabaseSettings>().ConnectionString).DataSource;
        Message Question(string content) => new() { ChatId = chat, Role = "user", Content = content };

        // Another write holds the turn: nothing is read or stored, the caller takes the usual way.
        using (await SqliteWriteTurns.WaitAsync(file, default))
            Assert.False(messages.TryStartAlone(chat, _ => Question("not now"), out _));
        Assert.Equal(0, await server.QueryScalarAsync<int>($"SELECT message_count FROM chats WHERE id = {server.Database.IdLiteral(chat.ToString())}"));

        Assert.True(messages.TryStartAlone(chat, _ => Question("first"), out var start));
        Assert.Equal(chat, start!.Chat.Id);
        Assert.Empty(start.History);
        Assert.True(messages.TryStartAlone(chat, read => read.History.Count == 1 ? null : Question("refused"), out start));
        Assert.Equal(["first"], start!.History.Select(m => m.Content));
        Assert.True(messages.TryStartAlone(Guid.CreateVersion7(), _ => Question("nowhere"), out start));
        Assert.Null(start);

        // Only the first question was stored, and counted, as an append stores it.
        var detail = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chat}"));
        Assert.Equal(1, detail.GetProperty("message_count").GetInt32());
        Assert.Equal(["first"], detail.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        Assert.Equal(0, await server.QueryScalarAsync<int>("SELECT COUNT(*) FROM messages WHERE content IN ('not now', 'refused', 'nowhere')"));
    }
}
