using ChatMerge.Tests.Infrastructure;
using ChatMerge.Tests.MergeApi;

namespace ChatMerge.Tests.Hardening;

/// <summary>What a fault case ran and what it saw, with the consistency check for its operation.</summary>
public sealed record FaultOutcome(string Operation, string ChatId, string UserContent, SseResult Stream, long ChatsBefore = 0, long MergesBefore = 0)
{
    public async Task AssertConsistentAsync(ServerFixture server)
    {
        var messages = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{ChatId}/messages"));
        switch (Operation)
        {
            case Faults.Completion:
                // The user's message is kept; the partial answer, if any arrived, is kept as seen and marked.
                Assert.Equal("user", messages[0].GetProperty("role").GetString());
                Assert.Equal(UserContent, messages[0].GetProperty("content").GetString());
                var seen = Stream.Text("content");
                if (seen.Length == 0 && Stream.Text("reasoning").Length == 0)
                {
                    Assert.Equal(1, messages.GetArrayLength());
                    break;
                }
                Assert.Equal(2, messages.GetArrayLength());
                Assert.Equal("assistant", messages[1].GetProperty("role").GetString());
                Assert.Equal(seen, messages[1].GetProperty("content").GetString());
                Assert.True(messages[1].GetProperty("incomplete").GetBoolean(), "a partial answer is marked incomplete");
                break;
            case Faults.Merge:
                // No half merge: no new chat, no merge record, the sources untouched.
                Assert.Equal(ChatsBefore, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats"));
                Assert.Equal(MergesBefore, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM merge_history"));
                Assert.Equal(2, messages.GetArrayLength());
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Operation), Operation, "no consistency check for this operation");
        }
    }
}

public static class Faults
{
    public const string Completion = "completion";
    public const string Merge = "merge";
    public const string Refused = "refused";

    /// <summary>The operations every fault is tried on.</summary>
    public static readonly string[] Operations = [Completion, Merge];

    public static readonly Dictionary<string, string> Models = new()
    {
        ["openai"] = "gpt-4o-mini",
        ["anthropic"] = "claude-3-5-haiku-latest",
        ["gemini"] = "gemini-2.0-flash",
    };

    /// <summary>Fault → a phrase the user must read in the error event (per provider where they differ).</summary>
    public static readonly Dictionary<string, Func<string, string>> Expected = new()
    {
        ["401"] = _ => "API key",
        ["429"] = _ => "rate limit",
        ["500"] = _ => "unavailable (500)",
        ["503"] = _ => "unavailable (503)",
        ["529"] = p => p == "anthropic" ? "overloaded (529)" : "unavailable (503)",
        ["error-mid"] = p => p switch { "openai" => "ended the answer before it was finished", "anthropic" => "error mid-answer", _ => "unavailable (503)" },
        ["drop"] = _ => "connection",
        ["malformed"] = _ => "malformed",
        ["stall"] = _ => "stopped sending",
        ["stall-start"] = _ => "stopped sending",
        [Refused] = _ => "Cannot reach",
    };

    public static async Task<FaultOutcome> RunAsync(ServerFixture server, string provider, string fault, string operation)
    {
        var content = fault == Refused ? "hello there" : $"hello there [[sim:fault={fault}]]";
        if (operation == Merge)
            return await RunMergeAsync(server, provider, content);
        var chatId = (await server.CreateChatAsync(provider, Models[provider])).GetProperty("id").GetString()!;
        return operation switch
        {
            Completion => new FaultOutcome(operation, chatId, content, await server.CompleteAsync(chatId, content)),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "unknown operation"),
        };
    }

    /// <summary>Two source chats merged by the faulty provider; the fault directive rides in the instructions.</summary>
    private static async Task<FaultOutcome> RunMergeAsync(ServerFixture server, string provider, string instructions)
    {
        var first = await server.SeedChatAsync("first", [new Turn("user", "What is WAL?"), new Turn("assistant", "A write-ahead log.")], provider, Models[provider]);
        var second = await server.SeedChatAsync("second", [new Turn("user", "Why WAL?"), new Turn("assistant", "Readers do not block.")], provider, Models[provider]);
        var chats = await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats");
        var merges = await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM merge_history");
        var stream = await server.MergeAsync(new { chat_ids = new[] { first, second }, merge_provider = provider, merge_model = Models[provider], instructions });
        return new FaultOutcome(Merge, first, instructions, stream, chats, merges);
    }

}
