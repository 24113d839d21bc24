using System.Text.Json;
using ChatMerge.Merge;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.MergeApi;

/// <summary>The simulator server with a 3,000-token window for gpt-4o-mini, so that modest chats must be merged in parts.</summary>
public sealed class SmallContextFixture : SimulatedServerFixture
{
    public const int Window = 3000;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Providers:OpenAI:ContextWindows:gpt-4o-mini", Window.ToString())];
}

public sealed class MergeLongConversationTests(SmallContextFixture server) : IClassFixture<SmallContextFixture>
{
    [Fact]
    public async Task Chats_larger_than_the_context_window_are_merged_in_parts_that_each_fit_and_nothing_is_lost()
    {
        var a = await server.SeedChatAsync("Long A", MergeTestData.Conversation("alpha", 30, reasoning: true));
        var b = await server.SeedChatAsync("Long B", MergeTestData.Conversation("beta", 30), start: DateTime.UtcNow.AddMinutes(-30));
        var c = await server.SeedChatAsync("Short C", MergeTestData.Conversation("gamma", 2));
        server.Simulator.ClearRequests();

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b, c }, merge_provider = "openai", merge_model = "gpt-4o-mini" });

        Assert.Equal("merge_complete", result.Last?.Type);
        Assert.Contains(result.Events, e => e.Type == "progress" && e.Data.Contains("part 2 of"));
        var requests = server.Simulator.Requests.Where(r => r.Method == "POST").ToList();
        Assert.True(requests.Count >= 3, $"expected several merge requests, got {requests.Count}");
        foreach (var request in requests)
        {
            var body = JsonDocument.Parse(request.Body).RootElement;
            var tokens = body.GetProperty("messages").EnumerateArray()
                .Sum(m => TokenCounter.Shared.CountMessage("openai", m.GetProperty("content").GetString()));
            var answer = body.TryGetProperty("max_completion_tokens", out var max) ? max.GetInt32() : body.GetProperty("max_tokens").GetInt32();
            Assert.True(tokens + answer <= SmallContextFixture.Window, $"a request needed {tokens} + {answer} tokens");
            // The merged answer restates the conversations, so they must fit in what the answer may hold.
            var prompt = body.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
            var conversations = TokenCounter.Shared.Count("openai", prompt[prompt.IndexOf("<<<CONVERSATION 1>>>", StringComparison.Ordinal)..]);
            Assert.True(conversations <= answer, $"a part of {conversations} tokens was given an answer of {answer}");
        }

        var contents = (await server.ChatAsync(result.Last!.Data)).Messages().Select(m => m.GetProperty("content").GetString()!).ToList();
        foreach (var (tag, exchanges) in new[] { ("alpha", 30), ("beta", 30), ("gamma", 2) })
        {
            var questions = Enumerable.Range(1, exchanges).Select(i => contents.FindIndex(x => x.StartsWith($"{tag} question {i}:"))).ToList();
            Assert.All(questions, index => Assert.True(index >= 0));
            Assert.Equal(questions.Order(), questions);
            Assert.All(Enumerable.Range(1, exchanges), i => Assert.Contains(contents, x => x.StartsWith($"{tag} answer {i}:")));
        }
        Assert.Equal(2 * (30 + 30 + 2), contents.Count);
    }

    [Fact]
    public async Task A_long_concatenated_chat_can_be_synthesized_in_parts_though_its_source_notes_outgrow_a_part()
    {
        // Two chats asked side by side: the concatenation switches source at every message, 80 notes in all.
        var t0 = DateTime.UtcNow.AddHours(-2);
        var a = await server.SeedChatAsync("Alpha", MergeTestData.Conversation("alpha", 20, words: 2), "anthropic", "claude-sonnet-4-5", start: t0);
        var b = await server.SeedChatAsync("Beta", MergeTestData.Conversation("beta", 20, words: 2), "gemini", "gemini-2.0-flash", start: t0.AddMilliseconds(500));
        var concatenated = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", mode = "concatenate" });
        var c = await server.SeedChatAsync("Gamma", MergeTestData.Conversation("gamma", 2));

        var result = await server.MergeAsync(new { chat_ids = new[] { concatenated.Last!.Data, c }, merge_provider = "openai", merge_model = "gpt-4o-mini" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var contents = (await server.ChatAsync(result.Last!.Data)).Messages().Select(m => m.GetProperty("content").GetString()!).ToList();
        foreach (var (tag, exchanges) in new[] { ("alpha", 20), ("beta", 20), ("gamma", 2) })
        {
            var questions = Enumerable.Range(1, exchanges).Select(i => contents.FindIndex(x => x.StartsWith($"{tag} question {i}:"))).ToList();
            Assert.All(questions, index => Assert.True(index >= 0));
            Assert.Equal(questions.Order(), questions);
        }
    }

    [Theory]
    [InlineData("user")]
    [InlineData("assistant")]
    [InlineData("reasoning")]
    public async Task A_message_larger_than_a_part_is_kept_as_written_and_the_rest_is_merged(string huge)
    {
        var text = string.Join("\n\n", Enumerable.Range(1, 60).Select(i =>
            $"Paragraph {i}: " + string.Join(' ', Enumerable.Repeat($"the detail number {i} of the long message matters", 10))));
        List<Turn> turns = huge switch
        {
            "user" => [new("user", text), new("assistant", "short a")],
            "assistant" => [new("user", "short q"), new("assistant", text, Incomplete: true)],
            _ => [new("user", "short q"), new("assistant", "short a", text)],
        };
        var a = await server.SeedChatAsync("Huge A", turns);
        var b = await server.SeedChatAsync("Short B", MergeTestData.Conversation("beta", 2));
        server.Simulator.ClearRequests();

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini" });

        Assert.Equal("merge_complete", result.Last?.Type);
        Assert.Contains(result.Events, e => e.Type == "progress" && e.Data.Contains("as written"));
        Assert.DoesNotContain(server.Simulator.Requests, r => r.Body.Contains("Paragraph 1:"));
        var messages = (await server.ChatAsync(result.Last!.Data)).Messages();
        var roles = messages.Select(m => m.GetProperty("role").GetString()).ToList();
        var contents = messages.Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.Equal([turns[0].Content, turns[1].Content], contents.Take(2));
        Assert.Equal(["user", "assistant"], roles.Take(2));
        Assert.Equal(turns[1].Reasoning, messages[1].GetProperty("reasoning_trace").GetString());
        Assert.Equal(turns[1].Incomplete, messages[1].GetProperty("incomplete").GetBoolean());
        Assert.All(Enumerable.Range(1, 2), i => Assert.Contains(contents, c => c!.StartsWith($"beta question {i}:")));
        Assert.Equal(2 + 4, messages.Count);
    }

    [Fact]
    public async Task Guidance_too_long_for_the_context_window_ends_the_merge_with_an_error()
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 1));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 1));
        var merges = await server.CountAsync("merge_history");

        var result = await server.MergeAsync(new
        {
            chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini",
            instructions = string.Join(' ', Enumerable.Repeat("please keep everything", 800)),
        });

        Assert.Equal("error", result.Last?.Type);
        Assert.Contains("context window of gpt-4o-mini (3000 tokens)", result.Last!.Data);
        Assert.Equal(merges, await server.CountAsync("merge_history"));
    }

    [Fact]
    public async Task A_merge_cut_at_an_answer_size_its_context_window_set_does_not_advise_raising_the_output_limit()
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 2));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 2));

        // The 3,000-token window holds the answer far below the output limit of 8,192: raising that would change nothing.
        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", instructions = "[[sim:tokens=9000]]" });

        Assert.Equal("error", result.Last?.Type);
        Assert.Contains("stopped at its output limit", result.Last!.Data);
        Assert.DoesNotContain("MaxOutputTokens", result.Last.Data);
        Assert.Contains("larger than 3000 tokens", result.Last.Data);
    }
}
