using System.Net;
using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Completions;

/// <summary>The simulator, but no key in the environment: keys come only from the API.</summary>
public sealed class NoEnvironmentKeysFixture : SimulatedServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        base.Settings().Where(s => !s.Key.EndsWith("_API_KEY", StringComparison.Ordinal));
}

public sealed class ProviderKeysTests(NoEnvironmentKeysFixture server) : IClassFixture<NoEnvironmentKeysFixture>
{
    [Theory]
    [InlineData("openai", "gpt-4o-mini", "OPENAI_API_KEY")]
    [InlineData("anthropic", "claude-sonnet-4-5", "ANTHROPIC_API_KEY")]
    [InlineData("gemini", "gemini-2.5-flash", "GOOGLE_API_KEY")]
    public async Task Completion_without_any_key_is_400_naming_the_provider_and_how_to_add_one(string provider, string model, string variable)
    {
        await server.Client.DeleteAsync($"/api/api-keys/{await KeyIdAsync(provider)}");
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;

        var response = await server.Client.PostAsJsonAsync($"/api/chats/{chatId}/completions", new { content = "hello" });

        var detail = await HttpAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(provider, detail);
        Assert.Contains("/api/api-keys", detail);
        Assert.Contains(variable, detail);
        // Refused before anything is stored.
        var chat = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}"));
        Assert.Equal(0, chat.GetProperty("message_count").GetInt32());
        Assert.Equal(0, chat.GetProperty("messages").GetArrayLength());
    }

    [Theory]
    [InlineData("openai", "gpt-4o-mini")]
    [InlineData("anthropic", "claude-sonnet-4-5")]
    [InlineData("gemini", "gemini-2.5-flash")]
    public async Task A_stored_key_is_used_for_completions(string provider, string model)
    {
        await server.Client.PostAsJsonAsync("/api/api-keys", new { provider, api_key = $"sim-{provider}-key" });
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "with a stored key");

        Assert.Equal("done", result.Last?.Type);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Validate_with_a_good_key_lists_the_providers_models(string provider)
    {
        var result = await HttpAssert.JsonAsync(await server.Client.PostAsJsonAsync("/api/api-keys/validate", new { provider, api_key = $"sim-{provider}-key" }));

        Assert.True(result.GetProperty("valid").GetBoolean());
        Assert.Equal(provider, result.GetProperty("provider").GetString());
        Assert.True(result.GetProperty("available_models").GetArrayLength() > 0);
    }

    [Theory]
    [InlineData("openai", "sk-proj-badbadbadbad1234567890")]
    [InlineData("anthropic", "sk-ant-api03-wrongwrongwrong-123456")]
    [InlineData("gemini", "AIzaSyWrongWrongWrongWrong123456")]
    public async Task Validate_with_a_bad_key_says_invalid_without_echoing_the_key(string provider, string badKey)
    {
        var response = await server.Client.PostAsJsonAsync("/api/api-keys/validate", new { provider, api_key = badKey });
        var body = await response.Content.ReadAsStringAsync();
        var result = await HttpAssert.JsonAsync(new HttpResponseMessage(response.StatusCode) { Content = new StringContent(body) });

        Assert.False(result.GetProperty("valid").GetBoolean());
        Assert.Contains("key", result.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(badKey, body);
        Assert.DoesNotContain(badKey[..8] + badKey[8..12], body);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public async Task Validate_never_sends_a_key_with_line_breaks_to_the_provider(string provider)
    {
        // The OpenAI SDK wrote "Authorization: Bearer sim-openai-key\r\nX-Injected: yes" to the wire as given:
        // a header (or a whole second request) of the client's choosing, sent to the provider with our connection.
        server.Simulator.ClearRequests();
        var response = await server.Client.PostAsJsonAsync("/api/api-keys/validate", new { provider, api_key = $"sim-{provider}-key\r\nX-Injected: yes" });

        var result = await HttpAssert.JsonAsync(response);
        Assert.False(result.GetProperty("valid").GetBoolean());
        Assert.Contains("api_key", result.GetProperty("error").GetString());
        Assert.Empty(server.Simulator.Requests);
    }

    [Fact]
    public async Task A_key_that_is_not_printable_ascii_is_not_stored() =>
        await HttpAssert.ProblemAsync(await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sk-cl\u00e9-1234" }), HttpStatusCode.BadRequest);

    [Fact]
    public async Task Validate_with_unknown_provider_is_400() =>
        await HttpAssert.ProblemAsync(await server.Client.PostAsJsonAsync("/api/api-keys/validate", new { provider = "cohere", api_key = "k" }), HttpStatusCode.BadRequest);

    [Fact]
    public async Task Models_adds_the_live_list_of_a_provider_with_a_key()
    {
        await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "gemini", api_key = "sim-gemini-key" });
        var live = await HttpAssert.JsonAsync(await server.Client.PostAsJsonAsync("/api/api-keys/validate", new { provider = "gemini" }));
        var liveIds = live.GetProperty("available_models").EnumerateArray().Select(m => m.GetString()).ToList();

        var models = await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/models"));
        var gemini = models.GetProperty("gemini").EnumerateArray().Select(m => m.GetString()).ToList();

        Assert.Subset(gemini.ToHashSet(), liveIds.ToHashSet());
        Assert.Contains("gemini-1.5-pro", gemini);
    }

    [Fact]
    public async Task Models_offers_only_the_openai_models_that_can_chat()
    {
        await server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sim-openai-key" });
        var live = await HttpAssert.JsonAsync(await server.Client.PostAsJsonAsync("/api/api-keys/validate", new { provider = "openai" }));
        var liveIds = live.GetProperty("available_models").EnumerateArray().Select(m => m.GetString()).ToList();

        var models = await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/models"));
        var openai = models.GetProperty("openai").EnumerateArray().Select(m => m.GetString()).ToList();

        // The simulator lists these beside its chat models, as OpenAI does.
        string[] cannotChat = ["text-embedding-3-small", "whisper-1", "tts-1", "dall-e-3", "gpt-image-1", "omni-moderation-latest", "gpt-4o-realtime-preview", "gpt-3.5-turbo-instruct"];
        Assert.Equal(["gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "gpt-5-mini", "o4-mini"], liveIds);
        Assert.Contains("gpt-5-mini", openai);
        Assert.Empty(openai.Intersect(cannotChat));
    }

    [Theory]
    [InlineData("llama3.1:8b", true)]
    [InlineData("mistral-7b-instruct", true)]
    [InlineData("gpt-4o-search-preview", true)]
    [InlineData("nomic-embed-text", false)]
    [InlineData("gpt-4o-mini-transcribe", false)]
    [InlineData("gpt-3.5-turbo-instruct-0914", false)]
    public void A_compatible_servers_chat_models_are_offered_and_its_embedding_models_are_not(string id, bool offered) =>
        Assert.Equal(offered, ChatMerge.Providers.OpenAIChatModels.CanChat(id));

    private async Task<string> KeyIdAsync(string provider)
    {
        var keys = await HttpAssert.JsonAsync(await server.Client.GetAsync("/api/api-keys"));
        return keys.EnumerateArray().Where(k => k.GetProperty("provider").GetString() == provider)
            .Select(k => k.GetProperty("id").GetString()!).FirstOrDefault() ?? Guid.Empty.ToString();
    }
}
