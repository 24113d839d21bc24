using System.Diagnostics;
using ChatMerge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChatMerge.Tests.MergeApi;

/// <summary>Merges of realistic and large chats; the durations are reported, not asserted.</summary>
public sealed class MergeScaleTests(SimulatedServerFixture server, ITestOutputHelper output) : IClassFixture<SimulatedServerFixture>
{
    [Theory]
    [InlineData(25, "synthesize")]
    [InlineData(500, "synthesize")]
    [InlineData(500, "concatenate")]
    public async Task Two_chats_of_many_messages_merge_into_one_chat_holding_all_of_them(int exchanges, string mode)
    {
        var a = await server.SeedChatAsync("Big A", MergeTestData.Conversation("alpha", exchanges, reasoning: true, words: 20));
        var b = await server.SeedChatAsync("Big B", MergeTestData.Conversation("beta", exchanges, words: 20), start: DateTime.UtcNow.AddMinutes(-30));

        var clock = Stopwatch.StartNew();
        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", mode });
        clock.Stop();

        Assert.Equal("merge_complete", result.Last?.Type);
        output.WriteLine($"{mode} 2x{2 * exchanges} messages: {clock.ElapsedMilliseconds} ms, {result.Events.Count} events");
        var merged = await server.ChatAsync(result.Last!.Data);
        var messages = merged.Messages();
        var expected = 4 * exchanges + (mode == "concatenate" ? 2 + 1 : 0);
        Assert.Equal(expected, messages.Count);
        Assert.Equal(expected, merged.GetProperty("message_count").GetInt32());
        Assert.StartsWith($"alpha answer {exchanges}:", messages.Last(m => m.GetProperty("content").GetString()!.StartsWith("alpha")).GetProperty("content").GetString());
    }
}
