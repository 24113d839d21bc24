using System.Text.Json;
using ChatMerge.Chats;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatMerge.Tests.Api;

/// <summary>
/// A chat with messages and lineage, as <c>GET /api/chats/{id}</c> and <c>GET /api/chats/{id}/messages</c>
/// write it (on SQLite, straight from the rows).
/// </summary>
public sealed class ChatDetailTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private HttpClient Client => server.Client;

    [Fact]
    public async Task A_chat_and_its_messages_are_written_exactly_as_serializing_them_writes()
    {
        var plain = Guid.Parse((await server.CreateChatAsync(title: "detail <b>\"x\"</b>", systemPrompt: "Ünïcödé 😀")).GetProperty("id").GetString()!);
        var merged = Guid.Parse((await server.CreateChatAsync(title: "merged")).GetProperty("id").GetString()!);
        var writer = server.Services.GetRequiredService<ChatMessages>();
        await writer.AppendAsync(plain, [new Message { ChatId = plain, Role = "user", Content = "Quotes \" \\ <script> é 中文 😀\n\t\u2028" }], default);
        await writer.AppendAsync(plain, [new Message
        {
            ChatId = plain, Role = "assistant", Content = "partial", ReasoningTrace = "thinking…", IsComplete = false,
            Provider = "anthropic", Model = "claude-sonnet-4-5", InputTokens = 7, OutputTokens = 0,
        }], default);
        await writer.AppendAsync(plain, [new Message { ChatId = plain, Role = "assistant", Content = "done", Provider = "openai", Model = "gpt-4o", InputTokens = 3 }], default);
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            db.MergeHistory.Add(new MergeHistory { MergedChatId = merged, SourceChatIds = [plain, Guid.NewGuid()], Provider = "openai", Model = "gpt-4o", Mode = "synthesize" });
            await db.SaveChangesAsync();
        }

        foreach (var chat in new[] { plain, merged })
        {
            var written = await Client.GetStringAsync($"/api/chats/{chat}");

            await using var scope = server.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            var json = scope.ServiceProvider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            Assert.Equal(JsonSerializer.Serialize(await ChatQueries.DetailAsync(db, chat, default), json), written);
            Assert.Equal(JsonSerializer.Serialize(await ChatQueries.MessagesAsync(db, chat, default), json),
                await Client.GetStringAsync($"/api/chats/{chat}/messages"));
        }
    }
}
