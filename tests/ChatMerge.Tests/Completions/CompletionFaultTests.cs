using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Completions;

public sealed class CompletionFaultTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    public static TheoryData<string, string> Providers => new()
    {
        { "openai", "gpt-4o-mini" },
        { "anthropic", "claude-sonnet-4-5" },
        { "gemini", "gemini-2.5-flash" },
    };

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Fault_mid_stream_keeps_the_partial_answer_marked_incomplete(string provider, string model)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "tell me more [[sim:fault=drop]]");

        Assert.Equal("error", result.Last?.Type);
        Assert.Single(result.Events, e => e.Type == "error");
        Assert.DoesNotContain(result.Events, e => e.Type == "done");
        var messages = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
        Assert.Equal(2, messages.GetArrayLength());
        Assert.True(messages[1].GetProperty("incomplete").GetBoolean());
        Assert.Equal(result.Text("content"), messages[1].GetProperty("content").GetString());
        Assert.NotEmpty(result.Text("content"));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_question_left_without_an_answer_by_a_fault_does_not_break_the_next_turn(string provider, string model)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;
        await server.Client.PostAsJsonAsync("/api/api-keys", new { provider, api_key = "sk-wrong-0123456789abcdefghij" });
        try
        {
            Assert.Equal("error", (await server.CompleteAsync(chatId, "first")).Last?.Type);
        }
        finally
        {
            await server.Client.PostAsJsonAsync("/api/api-keys", new { provider, api_key = $"sim-{provider}-key" });
        }

        // The key put right, the chat goes on, with two user turns in a row: Gemini refuses that unless they go as one.
        var result = await server.CompleteAsync(chatId, "second");

        Assert.Equal("done", result.Last?.Type);
        Assert.Contains("second", result.Text("content"));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Rejected_key_gives_one_error_event_without_the_key_and_keeps_the_user_message(string provider, string model)
    {
        const string badKey = "sk-live-0123456789abcdefghij";
        await server.Client.PostAsJsonAsync("/api/api-keys", new { provider, api_key = badKey });
        try
        {
            var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;

            var result = await server.CompleteAsync(chatId, "hello");

            Assert.Equal("error", result.Last?.Type);
            Assert.Contains("key", result.Last!.Data, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(badKey, result.Body);
            Assert.DoesNotContain("0123456789", result.Body);
            var messages = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
            Assert.Equal(1, messages.GetArrayLength());
            Assert.Equal("user", messages[0].GetProperty("role").GetString());
        }
        finally
        {
            await server.Client.PostAsJsonAsync("/api/api-keys", new { provider, api_key = $"sim-{provider}-key" });
        }
    }

    [Theory]
    [InlineData("openai", "gpt-4o-mini", "This model's maximum context length is 1 tokens.")]
    [InlineData("anthropic", "claude-sonnet-4-5", "prompt is too long:")]
    [InlineData("gemini", "gemini-2.5-flash", "exceeds the maximum number of tokens allowed (1).")]
    public async Task A_refused_request_shows_the_providers_own_sentence_on_one_line(string provider, string model, string sentence)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "too long for you [[sim:context=1]]");

        var error = Assert.Single(result.Events, e => e.Type == "error");
        Assert.Contains("refused the request (400): ", error.Data);
        Assert.Contains(sentence, error.Data);
        Assert.DoesNotContain("\n", error.Data);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Client_disconnect_mid_stream_keeps_what_arrived(string provider, string model)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/chats/{chatId}/completions")
        {
            Content = JsonContent.Create(new { content = "a long one [[sim:tokens=400]] [[sim:delay=10]]" }),
        };
        using (var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(body);
            var contentEvents = 0;
            while (contentEvents < 3 && await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"content\""))
                    contentEvents++;
            Assert.Equal(3, contentEvents);
        }

        // The server notices the disconnect and stores the partial answer.
        var stored = await Eventually.GetAsync(async () =>
        {
            var messages = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
            return messages.GetArrayLength() == 2 ? messages : (System.Text.Json.JsonElement?)null;
        });
        Assert.True(stored[1].GetProperty("incomplete").GetBoolean());
        Assert.StartsWith("tok", stored[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_chat_deleted_while_its_answer_streams_ends_the_stream_with_an_error_event()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/chats/{chatId}/completions")
        {
            Content = JsonContent.Create(new { content = "a long one [[sim:tokens=300]] [[sim:delay=10]]" }),
        };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (events.Count < 3 && await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                events.Add(line);

        Assert.Equal(HttpStatusCode.NoContent, (await server.Client.DeleteAsync($"/api/chats/{chatId}")).StatusCode);
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal))
                events.Add(line);

        var last = JsonSerializer.Deserialize<JsonElement>(events[^1]["data: ".Length..]);
        Assert.Equal("error", last.GetProperty("type").GetString());
        Assert.Contains("deleted", last.GetProperty("data").GetString());
        Assert.DoesNotContain(events, e => e.Contains("\"type\":\"done\""));
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client.GetAsync($"/api/chats/{chatId}")).StatusCode);
    }

    [Fact]
    public async Task A_chat_deleted_between_the_reads_and_storing_the_question_is_not_found()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        var id = Guid.Parse(chatId);
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        Task<SseResult> completion;
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            // The delete holds its write lock until it commits: the server still reads the chat,
            // then waits to store the question, and finds the chat gone once it may write.
            await db.Chats.Where(c => c.Id == id).ExecuteDeleteAsync();
            completion = server.CompleteAsync(chatId, "hello");
            await Task.Delay(300);
            Assert.False(completion.IsCompleted, "the completion should wait to store the question");
            await transaction.CommitAsync();
        }

        var result = await completion;

        Assert.Equal(404, result.Status);
        Assert.Contains($"Chat {chatId} not found", result.Body);
    }

    [Fact]
    public async Task Server_keeps_serving_after_faults()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        foreach (var fault in new[] { "500", "malformed", "stall", "error-mid" })
            Assert.Equal("error", (await server.CompleteAsync(chatId, $"x [[sim:fault={fault}]]")).Last?.Type);

        Assert.Equal("done", (await server.CompleteAsync(chatId, "fine again")).Last?.Type);
    }
}
