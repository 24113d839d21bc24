using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;

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
    public async Task Server_keeps_serving_after_faults()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        foreach (var fault in new[] { "500", "malformed", "stall", "error-mid" })
            Assert.Equal("error", (await server.CompleteAsync(chatId, $"x [[sim:fault={fault}]]")).Last?.Type);

        Assert.Equal("done", (await server.CompleteAsync(chatId, "fine again")).Last?.Type);
    }
}
