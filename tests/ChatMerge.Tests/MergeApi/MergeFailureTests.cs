using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.MergeApi;

/// <summary>Whatever goes wrong during a merge, no merged chat and no merge record is left behind.</summary>
public sealed class MergeFailureTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    public static TheoryData<string, string, string> Faults => new()
    {
        { "openai", "gpt-4o-mini", "fault=error-mid" },
        { "anthropic", "claude-sonnet-4-5", "fault=error-mid" },
        { "gemini", "gemini-2.5-flash", "fault=error-mid" },
        { "openai", "gpt-4o-mini", "fault=500" },
        { "anthropic", "claude-3-5-haiku-latest", "fault=500" },
        { "gemini", "gemini-2.0-flash", "fault=500" },
        { "openai", "gpt-4o-mini", "fault=drop" },
        { "anthropic", "claude-3-5-haiku-latest", "fault=drop" },
        { "gemini", "gemini-2.0-flash", "fault=drop" },
        { "openai", "gpt-4o-mini", "fault=malformed" },
        { "anthropic", "claude-3-5-haiku-latest", "fault=401" },
        { "openai", "gpt-4o-mini", "merge=no-markers" },
        { "gemini", "gemini-2.0-flash", "merge=user-only" },
        { "openai", "gpt-4o-mini", "finish=filter" },
        { "anthropic", "claude-3-5-haiku-latest", "finish=filter" },
        { "gemini", "gemini-2.0-flash", "finish=filter" },
        { "gemini", "gemini-2.5-flash", "finish=blocked" },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Provider_fault_or_unusable_answer_ends_with_one_error_and_stores_nothing(string provider, string model, string directive)
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 6));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 6));
        var (chats, messages, merges) = (await server.CountAsync("chats"), await server.CountAsync("messages"), await server.CountAsync("merge_history"));

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = provider, merge_model = model, instructions = $"[[sim:{directive}]]" });

        Assert.Equal(200, result.Status);
        Assert.Equal("error", result.Last?.Type);
        Assert.Single(result.Events, e => e.Type == "error");
        Assert.DoesNotContain(result.Events, e => e.Type == "merge_complete");
        // Said once, whichever step found the fault.
        Assert.Single(result.Last!.Data.Split("Nothing was stored").Skip(1));
        Assert.DoesNotContain("sim-", result.Body);
        Assert.Equal(chats, await server.CountAsync("chats"));
        Assert.Equal(messages, await server.CountAsync("messages"));
        Assert.Equal(merges, await server.CountAsync("merge_history"));
    }

    [Theory]
    [InlineData("openai", "gpt-4o-mini")]
    [InlineData("anthropic", "claude-3-5-haiku-latest")]
    [InlineData("gemini", "gemini-2.0-flash")]
    public async Task Merge_model_that_stops_at_its_output_limit_ends_with_an_error_and_stores_nothing(string provider, string model)
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 2));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 2));
        var merges = await server.CountAsync("merge_history");

        // An answer of 9,000 tokens against the default output limit of 8,192.
        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = provider, merge_model = model, instructions = "[[sim:tokens=9000]]" });

        Assert.Equal("error", result.Last?.Type);
        Assert.Contains("stopped at its output limit (8192 tokens)", result.Last!.Data);
        Assert.Equal(merges, await server.CountAsync("merge_history"));
    }

    [Fact]
    public async Task Client_that_goes_away_mid_merge_leaves_no_chat_and_no_merge_record()
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 6));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 6));
        var (chats, merges) = (await server.CountAsync("chats"), await server.CountAsync("merge_history"));
        server.Simulator.ClearRequests();

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/merge")
        {
            Content = JsonContent.Create(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", instructions = "[[sim:delay=100]]" }),
        };
        using (var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line && !line.Contains("\"type\":\"content\""))
            {
            }
        }

        // The simulator would need many more seconds to finish; give the server time to notice the hang-up.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(chats, await server.CountAsync("chats"));
        Assert.Equal(merges, await server.CountAsync("merge_history"));
        Assert.Single(server.Simulator.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task Concatenate_falls_back_to_a_plain_bridge_when_the_merge_model_fails()
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 2));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 2), start: DateTime.UtcNow.AddMinutes(-30));

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", mode = "concatenate", instructions = "[[sim:fault=500]]" });

        Assert.Equal("merge_complete", result.Last?.Type);
        var messages = (await server.ChatAsync(result.Last!.Data)).Messages();
        Assert.Equal("This chat joins 2 conversations: \"A\", \"B\". Everything above is kept as it was; continue from here with any model.",
            messages[^1].GetProperty("content").GetString());
        Assert.Equal(8 + 2 + 1, messages.Count);
    }

    [Fact]
    public async Task A_bridging_message_past_its_fixed_limit_is_replaced_and_the_progress_line_names_that_limit()
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 2));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 2));

        var result = await server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", mode = "concatenate", instructions = "[[sim:tokens=2000]]" });

        Assert.Equal("merge_complete", result.Last?.Type);
        // The bridge's limit is its own; no setting raises it.
        var note = Assert.Single(result.Events, e => e.Type == "progress" && e.Data.Contains("plain one takes its place")).Data;
        Assert.Contains("limit of 1024 tokens", note);
        Assert.DoesNotContain("MaxOutputTokens", note);
        var messages = (await server.ChatAsync(result.Last!.Data)).Messages();
        Assert.StartsWith("This chat joins 2 conversations", messages[^1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_merge_of_chats_too_large_to_hold_is_400_before_anything_streams()
    {
        // Each concatenation could be merged again with another, doubling what the next merge holds in memory.
        var megabyte = new string('m', 1_000_000);
        var big = Enumerable.Range(0, 11).Select(i => new Turn(i % 2 == 0 ? "user" : "assistant", megabyte)).ToList();
        var a = await server.SeedChatAsync("Huge A", big);
        var b = await server.SeedChatAsync("Huge B", big);
        var (chats, merges) = (await server.CountAsync("chats"), await server.CountAsync("merge_history"));
        server.Simulator.ClearRequests();

        var response = await server.Client.PostAsJsonAsync("/api/merge", new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", mode = "concatenate" });

        var detail = await HttpAssert.ProblemAsync(response, System.Net.HttpStatusCode.BadRequest);
        Assert.Contains("22,000,000 characters", detail);
        Assert.Contains("at most 20,000,000", detail);
        Assert.Empty(server.Simulator.Requests);
        Assert.Equal((chats, merges), (await server.CountAsync("chats"), await server.CountAsync("merge_history")));
    }
}
