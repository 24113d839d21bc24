using System.Text.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.MergeApi;

public sealed class MergeConcatenateTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    [Theory]
    [MemberData(nameof(MergeSynthesisTests.MergeModels), MemberType = typeof(MergeSynthesisTests))]
    public async Task Concatenate_copies_every_message_in_time_order_with_a_marker_per_source_switch_and_a_bridge(string provider, string model, bool thinks)
    {
        _ = thinks;
        var t0 = DateTime.UtcNow.AddHours(-2);
        var a = await server.SeedChatAsync("Alpha", MergeTestData.Conversation("alpha", 2, reasoning: true), "anthropic", "claude-sonnet-4-5", start: t0);
        var b = await server.SeedChatAsync("Beta", MergeTestData.Conversation("beta", 1), "gemini", "gemini-2.0-flash", start: t0.AddMilliseconds(1500));

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = provider, merge_model = model, mode = "concatenate" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var merged = await server.ChatAsync(result.Last!.Data);
        var messages = merged.Messages();
        var shape = messages.Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString()!.Split(':')[0])).ToList();
        // alpha at 0, 1, 2, 3 s; beta at 1.5, 2.5 s.
        Assert.Equal(
        [
            ("system", "From \"Alpha\" (anthropic, claude-sonnet-4-5)"), ("user", "alpha question 1"), ("assistant", "alpha answer 1"),
            ("system", "From \"Beta\" (gemini, gemini-2.0-flash)"), ("user", "beta question 1"),
            ("system", "From \"Alpha\" (anthropic, claude-sonnet-4-5)"), ("user", "alpha question 2"),
            ("system", "From \"Beta\" (gemini, gemini-2.0-flash)"), ("assistant", "beta answer 1"),
            ("system", "From \"Alpha\" (anthropic, claude-sonnet-4-5)"), ("assistant", "alpha answer 2"),
            ("assistant", "You said"),
        ], shape);
        Assert.Equal("alpha reasoning 2: think it through", messages[10].GetProperty("reasoning_trace").GetString());
        Assert.Equal("claude-sonnet-4-5", messages[10].GetProperty("model").GetString());
        var bridge = messages[^1].GetProperty("content").GetString()!;
        Assert.Contains("\"Alpha\" (anthropic, claude-sonnet-4-5)", bridge);
        Assert.Contains("last asked: beta question 1", bridge);
        Assert.Equal(bridge, result.Text("content"));
        Assert.Equal(model, messages[^1].GetProperty("model").GetString());
        Assert.Equal("concatenate", merged.GetProperty("merged_from").GetProperty("mode").GetString());
        Assert.Contains("time order", merged.GetProperty("system_prompt").GetString());
    }

    [Fact]
    public async Task A_concatenated_chat_can_be_continued_with_Claude()
    {
        var t0 = DateTime.UtcNow.AddHours(-2);
        var a = await server.SeedChatAsync("Alpha", MergeTestData.Conversation("alpha", 2), "openai", "gpt-4o-mini", start: t0);
        var b = await server.SeedChatAsync("Beta", MergeTestData.Conversation("beta", 1), "gemini", "gemini-2.0-flash", start: t0.AddMilliseconds(1500));
        var merged = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "anthropic", merge_model = "claude-sonnet-4-5", mode = "concatenate" });
        Assert.Equal("merge_complete", merged.Last?.Type);
        server.Simulator.ClearRequests();

        // The source notes sit before user turns: Claude refuses a system message there.
        var result = await server.CompleteAsync(merged.Last!.Data, "go on");

        Assert.Equal("done", result.Last?.Type);
        var sent = JsonDocument.Parse(server.Simulator.Requests.Last(r => r.Method == "POST").Body).RootElement;
        var messages = sent.GetProperty("messages").EnumerateArray().ToList();
        Assert.DoesNotContain("system", messages.Select(m => m.GetProperty("role").GetString()));
        // The notes still say where each part came from, in their places.
        var texts = messages.SelectMany(m => m.GetProperty("content").EnumerateArray()).Select(b => b.GetProperty("text").GetString()).ToList();
        Assert.Equal(texts.IndexOf("From \"Beta\" (gemini, gemini-2.0-flash):") + 1, texts.FindIndex(t => t!.StartsWith("beta question 1")));
    }

    [Fact]
    public async Task A_concatenated_chat_continued_with_Gemini_keeps_its_source_notes_in_place()
    {
        var t0 = DateTime.UtcNow.AddHours(-2);
        var a = await server.SeedChatAsync("Alpha", MergeTestData.Conversation("alpha", 2), "openai", "gpt-4o-mini", start: t0);
        var b = await server.SeedChatAsync("Beta", MergeTestData.Conversation("beta", 1), "anthropic", "claude-sonnet-4-5", start: t0.AddMilliseconds(1500));
        var merged = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "gemini", merge_model = "gemini-2.5-flash", mode = "concatenate" });
        Assert.Equal("merge_complete", merged.Last?.Type);
        server.Simulator.ClearRequests();

        var result = await server.CompleteAsync(merged.Last!.Data, "go on");

        Assert.Equal("done", result.Last?.Type);
        var sent = JsonDocument.Parse(server.Simulator.Requests.Last(r => r.Method == "POST").Body).RootElement;
        // Gemini has one system instruction: the notes after the first go where they stand, not all to the top.
        Assert.DoesNotContain("From \"Beta\"", sent.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
        var texts = sent.GetProperty("contents").EnumerateArray().SelectMany(c => c.GetProperty("parts").EnumerateArray()).Select(p => p.GetProperty("text").GetString()).ToList();
        Assert.Equal(texts.IndexOf("From \"Beta\" (anthropic, claude-sonnet-4-5):") + 1, texts.FindIndex(t => t!.StartsWith("beta question 1")));
    }

    [Fact]
    public async Task Concatenate_keeps_an_answer_that_was_cut_off_marked_incomplete()
    {
        var t0 = DateTime.UtcNow.AddHours(-2);
        var a = await server.SeedChatAsync("Cut", [new("user", "tell me everything"), new("assistant", "Here is the first half", Incomplete: true)], start: t0);
        var b = await server.SeedChatAsync("Whole", MergeTestData.Conversation("whole", 1), start: t0.AddMinutes(1));

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", mode = "concatenate" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var incomplete = (await server.ChatAsync(result.Last!.Data)).Messages()
            .Where(m => m.GetProperty("incomplete").GetBoolean()).Select(m => m.GetProperty("content").GetString());
        Assert.Equal(["Here is the first half"], incomplete);
    }

    [Fact]
    public async Task A_long_default_title_is_cut_between_characters_not_inside_an_emoji()
    {
        // Each title is 500 UTF-16 units of emoji: the default "Merged: A + B" must be cut to 500 units.
        var a = await server.SeedChatAsync(string.Concat(Enumerable.Repeat("😀", 250)), MergeTestData.Conversation("a", 1));
        var b = await server.SeedChatAsync(string.Concat(Enumerable.Repeat("😀", 250)), MergeTestData.Conversation("b", 1));

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", mode = "concatenate" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var title = (await server.ChatAsync(result.Last!.Data)).GetProperty("title").GetString()!;
        Assert.EndsWith("😀…", title);
        Assert.True(title.Length <= 500);
        // Half an emoji would have been written as U+FFFD.
        Assert.DoesNotContain('\uFFFD', title);
    }
}
