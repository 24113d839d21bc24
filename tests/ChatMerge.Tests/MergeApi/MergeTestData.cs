using System.Text.Json;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.MergeApi;

internal sealed record Turn(string Role, string Content, string? Reasoning = null, bool Incomplete = false);

/// <summary>Source chats written straight into the server's database, as earlier completions would have left them.</summary>
internal static class MergeTestData
{
    public static async Task<string> SeedChatAsync(
        this ServerFixture server, string title, IReadOnlyList<Turn> turns,
        string provider = "openai", string model = "gpt-4o", string? systemPrompt = null, DateTime? start = null)
    {
        using var scope = server.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        var chat = new Chat { Title = title, Provider = provider, Model = model, SystemPrompt = systemPrompt, MessageCount = turns.Count };
        var first = start ?? DateTime.UtcNow.AddHours(-1);
        db.Chats.Add(chat);
        db.Messages.AddRange(turns.Select((t, i) => new Message
        {
            ChatId = chat.Id, Role = t.Role, Content = t.Content, ReasoningTrace = t.Reasoning, IsComplete = !t.Incomplete,
            Provider = provider, Model = model, CreatedAt = first.AddSeconds(i),
        }));
        await db.SaveChangesAsync();
        return chat.Id.ToString();
    }

    /// <summary>A conversation of <paramref name="exchanges"/> question/answer pairs whose texts name the chat and the turn.</summary>
    public static List<Turn> Conversation(string tag, int exchanges, bool reasoning = false, int words = 12)
    {
        var filler = string.Join(' ', Enumerable.Range(0, words).Select(w => Words[w % Words.Length]));
        var turns = new List<Turn>();
        for (var i = 1; i <= exchanges; i++)
        {
            turns.Add(new Turn("user", $"{tag} question {i}: how does {Words[i % Words.Length]} work? {filler}"));
            turns.Add(new Turn("assistant", $"{tag} answer {i}: {Words[(i + 3) % Words.Length]} works like this. {filler}",
                reasoning ? $"{tag} reasoning {i}: think it through" : null));
        }
        return turns;
    }

    private static readonly string[] Words =
        ["caching", "indexes", "transactions", "replication", "sharding", "locks", "queues", "retries", "backpressure", "logging", "tracing", "schemas"];

    public static Task<SseResult> MergeAsync(this ServerFixture server, object body, CancellationToken cancellationToken = default) =>
        Sse.PostAsync(server.Client, "/api/merge", body, cancellationToken);

    public static async Task<JsonElement> ChatAsync(this ServerFixture server, string id) =>
        await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{id}"));

    public static Task<long> CountAsync(this ServerFixture server, string table) =>
        server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM {table}");

    public static List<JsonElement> Messages(this JsonElement chat) => chat.GetProperty("messages").EnumerateArray().ToList();
}
