using System.Net;
using System.Text.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.MergeApi;

public sealed class MergeSynthesisTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    public static TheoryData<string, string, bool> MergeModels => new()
    {
        { "openai", "gpt-4o-mini", false },
        { "anthropic", "claude-sonnet-4-5", true },
        { "gemini", "gemini-2.5-flash", true },
    };

    [Theory]
    [MemberData(nameof(MergeModels))]
    public async Task Two_way_merge_streams_the_synthesis_and_stores_one_chat_with_every_insight_once(string provider, string model, bool thinks)
    {
        var shared = new List<Turn> { new("user", "What is a B-tree?"), new("assistant", "A balanced search tree.", "recall the definition") };
        var a = await server.SeedChatAsync("Databases", [.. shared, .. MergeTestData.Conversation("alpha", 15, reasoning: true)], "openai", "gpt-4o");
        var b = await server.SeedChatAsync("Storage", [.. shared, .. MergeTestData.Conversation("beta", 15)], "anthropic", "claude-sonnet-4-5",
            systemPrompt: "You are a storage expert.");

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = provider, merge_model = model });

        Assert.Equal(200, result.Status);
        Assert.Equal("text/event-stream", result.ContentType);
        Assert.Equal("merge_complete", result.Last?.Type);
        var firstContent = result.Events.FindIndex(e => e.Type == "content");
        Assert.True(result.Events.Take(firstContent).Count(e => e.Type == "progress") >= 2, "progress lines come before the model's output");
        Assert.True(result.Events.Count(e => e.Type == "content") > 10, "the synthesis is streamed as it is written");
        Assert.StartsWith("[USER]:", result.Text("content"));
        Assert.Equal(thinks, result.Events.Any(e => e.Type == "reasoning"));

        var merged = await server.ChatAsync(result.Last!.Data);
        Assert.Equal("Merged: Databases + Storage", merged.GetProperty("title").GetString());
        Assert.Equal(provider, merged.GetProperty("provider").GetString());
        Assert.Equal(model, merged.GetProperty("model").GetString());
        var system = merged.GetProperty("system_prompt").GetString()!;
        Assert.Contains("\"Databases\"", system);
        Assert.Contains("You are a storage expert.", system);

        var messages = merged.Messages();
        Assert.Equal(2 + 30 + 30, messages.Count);
        Assert.Equal(messages.Count, merged.GetProperty("message_count").GetInt32());
        Assert.Single(messages, m => m.GetProperty("content").GetString() == "What is a B-tree?");
        Assert.Equal("recall the definition", messages[1].GetProperty("reasoning_trace").GetString());
        for (var i = 1; i <= 15; i++)
        {
            Assert.Contains(messages, m => m.GetProperty("content").GetString()!.StartsWith($"alpha question {i}:"));
            var answer = messages.Single(m => m.GetProperty("content").GetString()!.StartsWith($"alpha answer {i}:"));
            Assert.Equal($"alpha reasoning {i}: think it through", answer.GetProperty("reasoning_trace").GetString());
            Assert.Contains(messages, m => m.GetProperty("content").GetString()!.StartsWith($"beta answer {i}:"));
        }
        Assert.Equal(["user", "assistant"], messages.Take(2).Select(m => m.GetProperty("role").GetString()));
        var times = messages.Select(m => m.GetProperty("created_at").GetDateTime()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(times.Count, times.Distinct().Count());

        var lineage = merged.GetProperty("merged_from");
        Assert.Equal([a, b], lineage.GetProperty("source_chat_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("synthesize", lineage.GetProperty("mode").GetString());
        Assert.Equal(model, lineage.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Four_way_merge_keeps_every_source_in_order_and_names_them_all()
    {
        string[] tags = ["north", "east", "south", "west"];
        var ids = new List<string>();
        foreach (var (tag, provider) in tags.Zip(new[] { "openai", "anthropic", "gemini", "openai" }))
            ids.Add(await server.SeedChatAsync(tag, MergeTestData.Conversation(tag, 4, reasoning: provider != "openai"), provider, "m-" + tag));

        var result = await server.MergeAsync(new { chat_ids = ids, merge_provider = "gemini", merge_model = "gemini-2.0-flash", title = "Compass" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var merged = await server.ChatAsync(result.Last!.Data);
        Assert.Equal("Compass", merged.GetProperty("title").GetString());
        var contents = merged.Messages().Select(m => m.GetProperty("content").GetString()!).ToList();
        Assert.Equal(32, contents.Count);
        Assert.Equal(tags, contents.Where(c => c.Contains("question 1:")).Select(c => c.Split(' ')[0]));
        Assert.All(tags, t => Assert.Contains($"\"{t}\"", merged.GetProperty("system_prompt").GetString()));
        Assert.Equal(ids, merged.GetProperty("merged_from").GetProperty("source_chat_ids").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task Guidance_goes_to_the_merge_model_with_the_labelled_sources()
    {
        var a = await server.SeedChatAsync("Code talk", MergeTestData.Conversation("code", 2), "openai", "gpt-4o", systemPrompt: "Be brief.");
        var b = await server.SeedChatAsync("Small talk", MergeTestData.Conversation("chat", 2), "gemini", "gemini-2.0-flash");
        server.Simulator.ClearRequests();

        var result = await server.MergeAsync(new
        {
            chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini",
            instructions = "keep the code, drop the small talk",
        });

        Assert.Equal("merge_complete", result.Last?.Type);
        var sent = JsonDocument.Parse(Assert.Single(server.Simulator.Requests, r => r.Method == "POST").Body).RootElement;
        var messages = sent.GetProperty("messages").EnumerateArray().ToList();
        Assert.Contains("[ASSISTANT]:", messages[0].GetProperty("content").ToString());
        var user = messages[^1].GetProperty("content").ToString();
        Assert.Contains("keep the code, drop the small talk", user);
        foreach (var label in new[] { "<<<CONVERSATION 1>>>", "Title: Code talk", "Provider: openai", "Model: gpt-4o", "System:", "Be brief.", "<<<CONVERSATION 2>>>", "Model: gemini-2.0-flash" })
            Assert.Contains(label, user);
    }

    [Theory]
    [InlineData("bold")]
    [InlineData("preamble")]
    [InlineData("code-only")]
    public async Task Decorated_or_wrapped_merge_answers_are_still_parsed(string shape)
    {
        var a = await server.SeedChatAsync("One", MergeTestData.Conversation("one", 2));
        var b = await server.SeedChatAsync("Two", MergeTestData.Conversation("two", 2));

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", instructions = $"[[sim:merge={shape}]]" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var messages = (await server.ChatAsync(result.Last!.Data)).Messages();
        Assert.Equal(8, messages.Count);
        Assert.StartsWith("one question 1:", messages[0].GetProperty("content").GetString());
        Assert.DoesNotContain(messages, m => m.GetProperty("content").GetString()!.Contains("[User]"));
    }

    [Fact]
    public async Task Merged_chat_can_be_continued_with_a_completion_and_its_lineage_outlives_its_sources()
    {
        var a = await server.SeedChatAsync("Left", MergeTestData.Conversation("left", 2));
        var b = await server.SeedChatAsync("Right", MergeTestData.Conversation("right", 2));
        var mergedId = (await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "anthropic", merge_model = "claude-3-5-haiku-latest" })).Last!.Data;

        var next = await server.CompleteAsync(mergedId, "go on");

        Assert.Equal("done", next.Last?.Type);
        Assert.Equal("You said: \"go on\" (9 messages, system: yes)", next.Text("content"));
        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"/api/chats/{a}")).StatusCode);
        var merged = await server.ChatAsync(mergedId);
        Assert.Equal(10, merged.Messages().Count);
        Assert.Equal("go on", merged.Messages()[8].GetProperty("content").GetString());
        Assert.Contains(a, merged.GetProperty("merged_from").GetProperty("source_chat_ids").EnumerateArray().Select(e => e.GetString()));

        var merges = await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/merges"));
        Assert.Equal(mergedId, merges[0].GetProperty("merged_chat_id").GetString());
        Assert.Equal("Merged: Left + Right", merges[0].GetProperty("merged_chat_title").GetString());
        var times = merges.EnumerateArray().Select(m => m.GetProperty("created_at").GetDateTime()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.Equal(merges.GetArrayLength(), (await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/merges/"))).GetArrayLength());
    }

    [Fact]
    public async Task An_answer_that_was_cut_off_is_marked_so_in_the_transcript_the_merge_model_reads()
    {
        var a = await server.SeedChatAsync("Cut", [new("user", "tell me everything"), new("assistant", "Here is the first half", Incomplete: true)]);
        var b = await server.SeedChatAsync("Whole", [new("user", "and the rest?"), new("assistant", "Here is all of it")]);
        server.Simulator.ClearRequests();

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var sent = JsonDocument.Parse(Assert.Single(server.Simulator.Requests, r => r.Method == "POST").Body).RootElement;
        var user = sent.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString()!;
        Assert.Contains("[ASSISTANT]: Here is the first half\n\n(answer cut off)\n", user);
        Assert.Contains("[ASSISTANT]: Here is all of it\n<<<END", user);
    }

    [Fact]
    public async Task Emoji_and_other_four_byte_characters_come_through_a_synthesized_merge_whole()
    {
        var text = string.Concat(Enumerable.Repeat("😀𝄞🇫🇷 ", 40));
        var a = await server.SeedChatAsync("A", [new("user", "faces " + text), new("assistant", "yes " + text)]);
        var b = await server.SeedChatAsync("B", [new("user", "music " + text), new("assistant", "sure " + text)]);

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini" });

        Assert.Equal("merge_complete", result.Last?.Type);
        // Streamed in pieces of a few characters: none may end inside a character.
        Assert.DoesNotContain('\uFFFD', result.Body);
        var contents = (await server.ChatAsync(result.Last!.Data)).Messages().Select(m => m.GetProperty("content").GetString()!).ToList();
        Assert.Contains(contents, c => c.Contains(text.TrimEnd()));
        Assert.DoesNotContain(contents, c => c.Contains('\uFFFD'));
    }
}
