using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Providers;

/// <summary>OPENAI_BASE_URL written as OpenAI's SDKs and Ollama, vLLM or OpenRouter document it: with its /v1.</summary>
public sealed class OpenAiBaseUrlWithVersionFixture : SimulatedServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("OPENAI_BASE_URL", new Uri(Simulator.BaseUrl, "v1/").ToString()),
    ];
}

public sealed class OpenAiBaseUrlTests(OpenAiBaseUrlWithVersionFixture server) : IClassFixture<OpenAiBaseUrlWithVersionFixture>
{
    [Theory]
    [InlineData("gpt-4o-mini")]
    [InlineData("o4-mini")]
    public async Task A_base_url_ending_in_v1_streams_completions(string model)
    {
        var chatId = (await server.CreateChatAsync("openai", model)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "ping");

        Assert.Equal("done", result.Last?.Type);
        Assert.Equal("You said: \"ping\" (1 messages, system: no)", result.Text("content"));
        Assert.All(server.Simulator.Requests, r => Assert.DoesNotContain("/v1/v1/", r.Path));
    }

    [Fact]
    public async Task A_base_url_ending_in_v1_validates_the_key_against_the_model_list()
    {
        var answer = await HttpAssert.JsonAsync(await server.Client.PostAsJsonAsync("/api/api-keys/validate", new { provider = "openai" }));

        Assert.True(answer.GetProperty("valid").GetBoolean(), answer.ToString());
        Assert.Contains("gpt-4o", answer.GetProperty("available_models").EnumerateArray().Select(m => m.GetString()));
    }
}
