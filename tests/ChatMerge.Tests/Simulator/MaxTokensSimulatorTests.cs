using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Simulator;

/// <summary>An answer longer than the request's output limit stops there, with each provider's own finish reason.</summary>
public sealed class MaxTokensSimulatorTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    static readonly ChatOptions Five = new() { MaxOutputTokens = 5 };

    [Fact]
    public async Task OpenAi_stream_stops_at_max_tokens_with_finish_reason_length()
    {
        var r = await SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync("x [[sim:tokens=50]]", Five));

        Assert.Equal("tok1 tok2 tok3 tok4 tok5 ", r.Text);
        Assert.Equal(ChatFinishReason.Length, r.FinishReason);
    }

    [Fact]
    public async Task OpenAi_answer_within_max_tokens_finishes_with_stop()
    {
        var r = await SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync("x [[sim:tokens=5]]", Five));

        Assert.Equal("tok1 tok2 tok3 tok4 tok5", r.Text);
        Assert.Equal(ChatFinishReason.Stop, r.FinishReason);
    }

    [Fact]
    public async Task OpenAi_non_stream_stops_at_max_tokens_with_finish_reason_length()
    {
        var response = await sim.OpenAiChat().GetResponseAsync("x [[sim:tokens=50]]", Five);

        Assert.Equal("tok1 tok2 tok3 tok4 tok5 ", response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }

    [Fact]
    public async Task Anthropic_stops_at_max_tokens_with_stop_reason_max_tokens()
    {
        var client = sim.Anthropic().AsIChatClient("claude-3-5-haiku-latest", 5);

        var r = await SimulatorFixture.Collect(client.GetStreamingResponseAsync("x [[sim:tokens=50]]"));
        var whole = await client.GetResponseAsync("x [[sim:tokens=50]]");

        Assert.Equal("tok1 tok2 tok3 tok4 tok5 ", r.Text);
        Assert.Equal(ChatFinishReason.Length, r.FinishReason);
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.Contains("\"stop_reason\":\"max_tokens\"", await RawAnthropicAsync());
    }

    [Theory]
    [InlineData("streamGenerateContent?alt=sse")]
    [InlineData("generateContent")]
    public async Task Gemini_stops_at_max_output_tokens_with_finish_reason_max_tokens(string method)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, sim.Url($"/v1beta/models/gemini-2.0-flash:{method}"))
        {
            Content = JsonContent.Create(new
            {
                contents = new[] { new { role = "user", parts = new[] { new { text = "x [[sim:tokens=50]]" } } } },
                generationConfig = new { maxOutputTokens = 5 },
            }),
        };
        request.Headers.Add("x-goog-api-key", "sim-gemini-key");

        var body = await (await sim.Http.SendAsync(request)).Content.ReadAsStringAsync();

        var chunks = body.StartsWith('{')
            ? [JsonDocument.Parse(body).RootElement]
            : body.Split("\r\n\r\n", StringSplitOptions.RemoveEmptyEntries).Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        var candidates = chunks.Select(c => c.GetProperty("candidates")[0]).ToList();
        Assert.Equal("tok1 tok2 tok3 tok4 tok5 ", string.Concat(candidates.Select(c => c.GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString())));
        Assert.Equal("MAX_TOKENS", candidates[^1].GetProperty("finishReason").GetString());
    }

    // The SDK shows the wire's stop reason only as a ChatFinishReason; this reads it as sent.
    async Task<string> RawAnthropicAsync()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, sim.Url("/v1/messages"))
        {
            Content = JsonContent.Create(new { model = "claude-3-5-haiku-latest", max_tokens = 5, messages = new[] { new { role = "user", content = "x [[sim:tokens=50]]" } } }),
        };
        request.Headers.Add("x-api-key", "sim-anthropic-key");
        return await (await sim.Http.SendAsync(request)).Content.ReadAsStringAsync();
    }
}
