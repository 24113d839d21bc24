using System.Text.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Completions;

/// <summary>Answers that end without a fault but are not whole: cut off, filtered, blocked or empty.</summary>
public sealed class UnfinishedAnswerTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    public static TheoryData<string, string, string, string> Cases => new()
    {
        { "openai", "gpt-4o-mini", "[[sim:finish=length]]", "The answer reached max_tokens (300) and was cut off." },
        { "openai", "gpt-4o-mini", "[[sim:finish=filter]]", "OpenAI stopped the answer with its content filter." },
        { "openai", "o4-mini", "[[sim:finish=length]]", "The answer reached max_tokens (300) and was cut off." },
        { "openai", "o4-mini", "[[sim:finish=filter]]", "OpenAI stopped the answer with its content filter." },
        { "anthropic", "claude-sonnet-4-5", "[[sim:finish=length]]", "The answer reached max_tokens (300) and was cut off." },
        { "anthropic", "claude-3-5-haiku-latest", "[[sim:finish=filter]]", "Anthropic stopped the answer with its content filter." },
        { "gemini", "gemini-2.0-flash", "[[sim:finish=filter]]", "Gemini stopped the answer: SAFETY." },
        { "gemini", "gemini-2.5-flash", "[[sim:tokens=0]] [[sim:finish=length]]", "The model reached max_tokens (300) before it started to answer." },
        { "gemini", "gemini-2.5-flash", "[[sim:finish=blocked]]", "Gemini blocked the prompt: SAFETY." },
        { "openai", "gpt-4o-mini", "[[sim:tokens=0]]", "OpenAI sent an empty answer." },
        { "anthropic", "claude-sonnet-4-5", "[[sim:tokens=0]]", "Anthropic sent an empty answer." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_unfinished_answer_is_kept_as_incomplete_and_the_stream_says_why(
        string provider, string model, string directives, string expected)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;

        var result = await Sse.PostAsync(server.Client, $"/api/chats/{chatId}/completions", new { content = $"go on {directives}", max_tokens = 300 });

        var messages = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
        var text = result.Text("content");
        var arrived = text + result.Text("reasoning");
        if (text.Length > 0)
        {
            // The user reads the text already: done keeps it on screen, its notice says why it is short.
            Assert.Equal("done", result.Last?.Type);
            Assert.DoesNotContain(result.Events, e => e.Type == "error");
            var done = result.Body.Split('\n').Single(l => l.Contains("\"type\":\"done\""));
            Assert.Equal(expected, JsonDocument.Parse(done["data: ".Length..]).RootElement.GetProperty("notice").GetString());
            Assert.Equal(messages[1].GetProperty("id").GetString(), result.Last?.Data);
        }
        else
        {
            Assert.Equal(expected, Assert.Single(result.Events, e => e.Type == "error").Data);
            Assert.Same(result.Events.Single(e => e.Type == "error"), result.Last);
            Assert.DoesNotContain(result.Events, e => e.Type == "done");
        }
        // What arrived is kept, marked incomplete; an answer with nothing in it is not stored at all.
        Assert.Equal(arrived.Length > 0 ? 2 : 1, messages.GetArrayLength());
        if (arrived.Length > 0)
        {
            Assert.True(messages[1].GetProperty("incomplete").GetBoolean());
            Assert.Equal(text, messages[1].GetProperty("content").GetString());
        }
    }

    [Fact]
    public async Task A_whole_answer_ends_with_done_and_no_notice()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;

        var result = await Sse.PostAsync(server.Client, $"/api/chats/{chatId}/completions", new { content = "hello" });

        Assert.Equal("done", result.Last?.Type);
        Assert.DoesNotContain("notice", result.Body);
    }

    [Fact]
    public async Task Gemini_thinking_gets_its_budget_on_top_of_the_answers_max_tokens()
    {
        var chatId = (await server.CreateChatAsync("gemini", "gemini-2.5-flash")).GetProperty("id").GetString()!;
        server.Simulator.ClearRequests();

        await Sse.PostAsync(server.Client, $"/api/chats/{chatId}/completions", new { content = "think, then answer", max_tokens = 300 });

        // Gemini counts thoughts inside maxOutputTokens; Claude's budget likewise comes on top of max_tokens.
        var config = JsonDocument.Parse(server.Simulator.Requests.Single(r => r.Provider == "gemini").Body).RootElement.GetProperty("generationConfig");
        var budget = config.GetProperty("thinkingConfig").GetProperty("thinkingBudget").GetInt32();
        Assert.True(budget > 0);
        Assert.Equal(300 + budget, config.GetProperty("maxOutputTokens").GetInt32());
    }
}
