using System.Net;
using System.Text;
using System.Text.Json;

namespace ChatMerge.Tests.Simulator;

/// <summary>No Gemini SDK is served here, so these read the raw wire as our own REST client will.</summary>
public sealed class GeminiSimulatorTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    async Task<HttpResponseMessage> Post(string path, string body, string key = "sim-gemini-key")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, sim.Url(path)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-goog-api-key", key);
        return await sim.Http.SendAsync(request);
    }

    static string Request(string text, bool thoughts = false) => JsonSerializer.Serialize(new
    {
        contents = new object[] { new { role = "user", parts = new[] { new { text = "first" } } }, new { role = "model", parts = new[] { new { text = "ok" } } }, new { role = "user", parts = new[] { new { text } } } },
        systemInstruction = new { parts = new[] { new { text = "sys" } } },
        generationConfig = new { thinkingConfig = new { includeThoughts = thoughts, thinkingBudget = 1024 } },
    });

    static List<JsonElement> Events(string body)
    {
        Assert.EndsWith("\r\n\r\n", body);
        var events = body.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        return [.. events.Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement)];
    }

    static JsonElement Part(JsonElement chunk) => chunk.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0];

    [Fact]
    public async Task Gemini_stream_uses_crlf_events_with_thoughts_text_and_final_usage()
    {
        var response = await Post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", Request("Hello Gemini", thoughts: true));
        var events = Events(await response.Content.ReadAsStringAsync());

        var thoughts = events.Where(e => Part(e).TryGetProperty("thought", out var t) && t.GetBoolean()).Select(e => Part(e).GetProperty("text").GetString()).ToList();
        Assert.True(thoughts.Count >= 2);
        Assert.Equal("Thinking about: Hello Gemini", string.Concat(thoughts));
        var text = string.Concat(events.Where(e => !Part(e).TryGetProperty("thought", out _)).Select(e => Part(e).GetProperty("text").GetString()));
        Assert.Equal("You said: \"Hello Gemini\" (3 messages, system: yes)", text);
        var last = events[^1];
        Assert.Equal("STOP", last.GetProperty("candidates")[0].GetProperty("finishReason").GetString());
        Assert.True(last.GetProperty("usageMetadata").GetProperty("candidatesTokenCount").GetInt32() > 0);
        Assert.Equal("gemini-2.5-flash", last.GetProperty("modelVersion").GetString());
        Assert.All(events[..^1], e => Assert.False(e.GetProperty("candidates")[0].TryGetProperty("finishReason", out _)));
        var recorded = sim.Host.Requests.Last(q => q.Provider == "gemini");
        Assert.Equal("/v1beta/models/gemini-2.5-flash:streamGenerateContent", recorded.Path);
        Assert.Equal("REDACTED", recorded.Headers["x-goog-api-key"]);
    }

    [Fact]
    public async Task Split_chars_hands_the_stream_over_in_reads_that_end_inside_characters()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, sim.Url("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"))
        {
            Content = new StringContent(Request("héllo 中文 [[sim:split-chars]]"), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-goog-api-key", "sim-gemini-key");
        using var response = await sim.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var bytes = new List<byte>();
        var cutInside = 0;
        var buffer = new byte[64 * 1024];
        for (int n; (n = await body.ReadAsync(buffer)) > 0;)
        {
            bytes.AddRange(buffer[..n]);
            // A read that ends inside a character decodes to a replacement character at its end.
            if (Encoding.UTF8.GetString(buffer, 0, n).EndsWith('\uFFFD'))
                cutInside++;
        }

        Assert.True(cutInside > 0, "no read ended inside a character");
        var text = string.Concat(Events(Encoding.UTF8.GetString([.. bytes])).Select(e => Part(e).GetProperty("text").GetString()));
        Assert.Equal("You said: \"héllo 中文\" (3 messages, system: yes)", text);
    }

    [Fact]
    public async Task Gemini_generate_content_answers_in_one_response()
    {
        var response = await Post("/v1beta/models/gemini-2.5-pro:generateContent", Request("once"));
        var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal("You said: \"once\" (3 messages, system: yes)", Part(root).GetProperty("text").GetString());
    }

    [Fact]
    public async Task Gemini_bad_key_is_400_api_key_invalid()
    {
        var response = await Post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", Request("hi"), key: "AIza-wrong");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("INVALID_ARGUMENT", error.GetProperty("status").GetString());
        Assert.Equal("API_KEY_INVALID", error.GetProperty("details")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Gemini_rate_limit_carries_retry_info()
    {
        var response = await Post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", Request("x [[sim:fault=429]]"));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("RESOURCE_EXHAUSTED", error.GetProperty("status").GetString());
        Assert.Equal("0s", error.GetProperty("details")[0].GetProperty("retryDelay").GetString());
    }

    [Fact]
    public async Task Gemini_error_mid_stream_is_an_error_event_after_three_chunks()
    {
        var response = await Post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", Request("a b c d [[sim:fault=error-mid]]"));
        var events = Events(await response.Content.ReadAsStringAsync());

        Assert.Equal(4, events.Count);
        Assert.Equal("UNAVAILABLE", events[^1].GetProperty("error").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Gemini_models_use_the_real_shape()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, sim.Url("/v1beta/models?key=sim-gemini-key"));
        var root = JsonDocument.Parse(await (await sim.Http.SendAsync(request)).Content.ReadAsStringAsync()).RootElement;

        Assert.Contains(root.GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == "models/gemini-2.5-flash");
    }
}
