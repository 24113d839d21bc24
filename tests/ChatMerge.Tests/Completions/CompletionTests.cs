using System.Net;
using System.Text.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Completions;

public sealed class CompletionTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    public static TheoryData<string, string, bool> Models => new()
    {
        { "openai", "gpt-4o-mini", false },
        { "openai", "o4-mini", true },
        { "anthropic", "claude-sonnet-4-5", true },
        { "anthropic", "claude-3-5-haiku-latest", false },
        { "gemini", "gemini-2.5-flash", true },
        { "gemini", "gemini-2.0-flash", false },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Completion_streams_text_and_reasoning_then_done_with_the_stored_message(string provider, string model, bool reasoning)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "What is 2+2?");

        Assert.Equal(200, result.Status);
        Assert.Equal("text/event-stream", result.ContentType);
        Assert.Equal("done", result.Last?.Type);
        Assert.Equal("You said: \"What is 2+2?\" (1 messages, system: no)", result.Text("content"));
        Assert.True(result.Events.Count(e => e.Type == "content") > 1, "content should arrive in several events");
        if (reasoning)
        {
            Assert.Contains("Thinking about: What is 2+2?", result.Text("reasoning"));
            Assert.True(result.Events.FindIndex(e => e.Type == "reasoning") < result.Events.FindIndex(e => e.Type == "content"));
        }
        else
            Assert.DoesNotContain(result.Events, e => e.Type == "reasoning");

        var messages = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
        Assert.Equal(2, messages.GetArrayLength());
        Assert.Equal("user", messages[0].GetProperty("role").GetString());
        Assert.Equal("What is 2+2?", messages[0].GetProperty("content").GetString());
        var answer = messages[1];
        Assert.Equal(result.Last!.Data, answer.GetProperty("id").GetString());
        Assert.Equal("assistant", answer.GetProperty("role").GetString());
        Assert.Equal(result.Text("content"), answer.GetProperty("content").GetString());
        Assert.False(answer.GetProperty("incomplete").GetBoolean());
        Assert.Equal(reasoning ? result.Text("reasoning") : null, answer.GetProperty("reasoning_trace").GetString());
        Assert.True(answer.GetProperty("output_tokens").GetInt32() > 0);
        Assert.True(answer.GetProperty("input_tokens").GetInt32() > 0);
        Assert.Equal(model, answer.GetProperty("model").GetString());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Second_turn_sends_the_history_and_the_system_prompt_in_the_provider_convention(string provider, string model, bool reasoning)
    {
        _ = reasoning;
        var chatId = (await server.CreateChatAsync(provider, model, systemPrompt: "You are terse.")).GetProperty("id").GetString()!;
        await server.CompleteAsync(chatId, "first question");
        server.Simulator.ClearRequests();

        var second = await server.CompleteAsync(chatId, "second question");

        Assert.Equal("You said: \"second question\" (3 messages, system: yes)", second.Text("content"));
        var sent = JsonDocument.Parse(server.Simulator.Requests.Last(r => r.Method == "POST").Body).RootElement;
        switch (provider)
        {
            case "anthropic":
                Assert.Contains("You are terse.", sent.GetProperty("system").ToString());
                Assert.All(sent.GetProperty("messages").EnumerateArray(), m => Assert.NotEqual("system", m.GetProperty("role").GetString()));
                break;
            case "gemini":
                Assert.Contains("You are terse.", sent.GetProperty("systemInstruction").ToString());
                Assert.Equal(["user", "model", "user"], sent.GetProperty("contents").EnumerateArray().Select(c => c.GetProperty("role").GetString()!));
                break;
            default:
                Assert.Contains("You are terse.", sent.ToString());
                break;
        }
        Assert.Contains("first question", sent.ToString());
    }

    [Fact]
    public async Task OpenAI_reasoning_models_ask_the_Responses_API_for_auto_summaries()
    {
        var chatId = (await server.CreateChatAsync("openai", "o4-mini")).GetProperty("id").GetString()!;
        server.Simulator.ClearRequests();

        await Sse.PostAsync(server.Client, $"/api/chats/{chatId}/completions", new { content = "think it over", max_tokens = 300 });

        var request = JsonDocument.Parse(server.Simulator.Requests.Single(r => r.Path == "/v1/responses").Body).RootElement;
        var reasoning = request.GetProperty("reasoning");
        Assert.Equal("auto", reasoning.GetProperty("summary").GetString());
        Assert.Equal("medium", reasoning.GetProperty("effort").GetString());
        // Reasoning tokens count inside max_output_tokens: the thinking budget comes on top of the answer's.
        Assert.Equal(300 + 4096, request.GetProperty("max_output_tokens").GetInt32());
    }

    [Fact]
    public async Task Claude_thinking_blocks_are_sent_back_with_their_signatures_on_the_next_turn()
    {
        var chatId = (await server.CreateChatAsync("anthropic", "claude-sonnet-4-5")).GetProperty("id").GetString()!;
        await server.CompleteAsync(chatId, "think first");
        server.Simulator.ClearRequests();

        await server.CompleteAsync(chatId, "then again");

        var sent = JsonDocument.Parse(server.Simulator.Requests.Last(r => r.Method == "POST").Body).RootElement;
        Assert.Equal("enabled", sent.GetProperty("thinking").GetProperty("type").GetString());
        var assistant = sent.GetProperty("messages").EnumerateArray().First(m => m.GetProperty("role").GetString() == "assistant");
        var thinking = assistant.GetProperty("content").EnumerateArray().First(b => b.GetProperty("type").GetString() == "thinking");
        Assert.Contains("Thinking about: think first", thinking.GetProperty("thinking").GetString());
        Assert.False(string.IsNullOrEmpty(thinking.GetProperty("signature").GetString()));
    }

    [Fact]
    public async Task Claude_redacted_thinking_goes_back_as_redacted_thinking_on_the_next_turn()
    {
        var chatId = (await server.CreateChatAsync("anthropic", "claude-sonnet-4-5")).GetProperty("id").GetString()!;
        Assert.Equal("done", (await server.CompleteAsync(chatId, "hi [[sim:redacted]]")).Last?.Type);
        server.Simulator.ClearRequests();

        // The simulator, like Claude, refuses a thinking block whose signature it did not issue for that text.
        var second = await server.CompleteAsync(chatId, "and again");

        Assert.Equal("done", second.Last?.Type);
        var sent = JsonDocument.Parse(server.Simulator.Requests.Last(r => r.Method == "POST").Body).RootElement;
        var assistant = sent.GetProperty("messages").EnumerateArray().First(m => m.GetProperty("role").GetString() == "assistant");
        var blocks = assistant.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["thinking", "redacted_thinking", "text"], blocks.Select(b => b.GetProperty("type").GetString()));
        Assert.False(string.IsNullOrEmpty(blocks[1].GetProperty("data").GetString()));
    }

    [Fact]
    public async Task Claude_thinking_that_led_to_no_text_does_not_break_the_next_turn()
    {
        var chatId = (await server.CreateChatAsync("anthropic", "claude-sonnet-4-5")).GetProperty("id").GetString()!;
        // Thinking, signed, then no text: kept as an incomplete answer with its reasoning.
        Assert.Equal("error", (await server.CompleteAsync(chatId, "think only [[sim:tokens=0]]")).Last?.Type);
        server.Simulator.ClearRequests();

        // The simulator, like Claude, refuses an assistant message that ends with a thinking block.
        var next = await server.CompleteAsync(chatId, "and now?");

        Assert.Equal("done", next.Last?.Type);
        Assert.DoesNotContain("signature", server.Simulator.Requests.Last(r => r.Method == "POST").Body);
    }

    [Fact]
    public async Task A_chat_switched_to_another_Claude_model_does_not_send_the_old_models_thinking()
    {
        var chatId = (await server.CreateChatAsync("anthropic", "claude-sonnet-4-5")).GetProperty("id").GetString()!;
        Assert.Equal("done", (await server.CompleteAsync(chatId, "think first")).Last?.Type);
        await server.Client.PatchJsonAsync($"/api/chats/{chatId}", new { model = "claude-opus-4-1" });
        server.Simulator.ClearRequests();

        // The simulator, like Claude, refuses a thinking block another model signed.
        var second = await server.CompleteAsync(chatId, "then again");

        Assert.Equal("done", second.Last?.Type);
        var sent = server.Simulator.Requests.Last(r => r.Method == "POST").Body;
        Assert.Contains("(1 messages, system: no)", sent); // the first answer, as text
        Assert.DoesNotContain("signature", sent);
    }

    [Fact]
    public async Task Gemini_thought_signature_goes_back_on_the_part_it_came_with()
    {
        // The simulator, like Gemini 3, signs the first part of the answer.
        var chatId = (await server.CreateChatAsync("gemini", "gemini-3-pro-preview")).GetProperty("id").GetString()!;
        var first = await server.CompleteAsync(chatId, "What is 2+2?");
        Assert.Equal("done", first.Last?.Type);
        server.Simulator.ClearRequests();

        await server.CompleteAsync(chatId, "and again");

        var sent = JsonDocument.Parse(server.Simulator.Requests.Last(r => r.Method == "POST").Body).RootElement;
        var answer = sent.GetProperty("contents").EnumerateArray().Single(c => c.GetProperty("role").GetString() == "model");
        var signed = Assert.Single(answer.GetProperty("parts").EnumerateArray(), p => p.TryGetProperty("thoughtSignature", out _));
        Assert.Equal(first.Text("content"), signed.GetProperty("text").GetString());
        Assert.False(signed.TryGetProperty("thought", out _));
        Assert.NotEmpty(signed.GetProperty("thoughtSignature").GetString()!);
    }

    [Theory]
    [InlineData("openai", "o4-mini", "openai", "o4-mini")]
    [InlineData("gemini", "gemini-2.5-flash", "gemini", "gemini-2.5-flash")]
    [InlineData("anthropic", "claude-sonnet-4-5", "openai", "gpt-4o-mini")]
    public async Task Reasoning_the_provider_cannot_take_back_is_not_pasted_into_the_answer(string provider, string model, string nextProvider, string nextModel)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;
        var first = await server.CompleteAsync(chatId, "reason about this");
        Assert.Contains("Thinking about: reason about this", first.Text("reasoning"));
        await server.Client.PatchJsonAsync($"/api/chats/{chatId}", new { provider = nextProvider, model = nextModel });
        server.Simulator.ClearRequests();

        var result = await server.CompleteAsync(chatId, "and now?");

        Assert.Equal("done", result.Last?.Type);
        var sent = server.Simulator.Requests.Last(r => r.Method == "POST").Body;
        Assert.Contains("(1 messages, system: no)", sent); // the first answer
        Assert.DoesNotContain("Thinking about", sent);
        Assert.DoesNotContain("previous_reasoning", sent);
        Assert.DoesNotContain("signature", sent);
    }

    [Fact]
    public async Task Completion_on_unknown_chat_is_404_before_any_stream()
    {
        var response = await server.Client.PostAsync($"/api/chats/{Guid.CreateVersion7()}/completions",
            new StringContent("{\"content\":\"hi\"}", System.Text.Encoding.UTF8, "application/json"));
        await HttpAssert.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("{\"content\":\"\"}")]
    [InlineData("{\"content\":\"   \"}")]
    [InlineData("{}")]
    [InlineData("{\"content\":\"hi\",\"temperature\":3}")]
    [InlineData("{\"content\":\"hi\",\"temperature\":-0.1}")]
    [InlineData("{\"content\":\"hi\",\"max_tokens\":0}")]
    [InlineData("{\"content\":\"hi\",\"max_tokens\":-5}")]
    [InlineData("{\"content\":5}")]
    public async Task Bad_completion_request_is_400_before_any_stream_and_stores_nothing(string body)
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;

        var response = await server.Client.PostJsonTextAsync($"/api/chats/{chatId}/completions", body);

        await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(0, await server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM messages WHERE chat_id = {server.Database.IdLiteral(chatId)}"));
    }

    [Fact]
    public async Task Message_count_already_counts_the_new_messages_when_done_arrives()
    {
        var chatId = (await server.CreateChatAsync(title: "counted")).GetProperty("id").GetString()!;
        await server.CompleteAsync(chatId, "count me");

        var list = await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/chats"));
        var chat = list.EnumerateArray().First(c => c.GetProperty("id").GetString() == chatId);
        Assert.Equal(2, chat.GetProperty("message_count").GetInt32());
        Assert.Equal(chatId, list[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Temperature_and_max_tokens_reach_the_provider()
    {
        var chatId = (await server.CreateChatAsync("openai", "gpt-4o-mini")).GetProperty("id").GetString()!;
        server.Simulator.ClearRequests();

        await Sse.PostAsync(server.Client, $"/api/chats/{chatId}/completions", new { content = "tune", temperature = 0.3, max_tokens = 77 });

        var sent = JsonDocument.Parse(server.Simulator.Requests.Last(r => r.Method == "POST").Body).RootElement;
        Assert.Equal(0.3, sent.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(77, sent.TryGetProperty("max_completion_tokens", out var max) ? max.GetInt32() : sent.GetProperty("max_tokens").GetInt32());
    }

    [Fact]
    public async Task Two_completions_at_once_on_one_chat_keep_a_consistent_order()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;

        await Task.WhenAll(server.CompleteAsync(chatId, "one [[sim:delay=20]]"), server.CompleteAsync(chatId, "two [[sim:delay=20]]"));

        var messages = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
        Assert.Equal(4, messages.GetArrayLength());
        var times = messages.EnumerateArray().Select(m => m.GetProperty("created_at").GetDateTime()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(2, messages.EnumerateArray().Count(m => m.GetProperty("role").GetString() == "assistant"));
        var listed = await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/chats"));
        Assert.Equal(4, listed.EnumerateArray().Single(c => c.GetProperty("id").GetString() == chatId).GetProperty("message_count").GetInt32());
    }
}
