using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>
/// Keys never leave: the server runs with every log category at Trace while keys are stored,
/// used, rejected and echoed back by the provider, and no key shows up in its output, a response
/// or an event.
/// </summary>
public sealed class SecretsTests : ProcessTestBase
{
    // Key-shaped values the provider simulator does not accept, so its error echoes them.
    private static readonly Dictionary<string, string> WrongKeys = new()
    {
        ["openai"] = "sk-proj-WRONGopenaiKEY0123456789abcdef",
        ["anthropic"] = "sk-ant-api03-WRONGanthropicKEY0123456789",
        ["gemini"] = "AIzaWRONGgeminiKEY0123456789abcdefghij",
    };

    private static readonly string[] EnvironmentKeys = ["sim-openai-key", "sim-anthropic-key", "sim-gemini-key"];

    protected override IEnumerable<KeyValuePair<string, string>> Settings() =>
    [
        .. base.Settings(),
        new("Logging__LogLevel__Default", "Trace"),
        new("Logging__LogLevel__Microsoft.AspNetCore", "Trace"),
        new("Logging__LogLevel__Microsoft.EntityFrameworkCore", "Trace"),
        new("Logging__LogLevel__System.Net.Http.HttpClient", "Trace"),
    ];

    [Fact]
    public async Task No_key_appears_in_trace_logs_responses_or_error_events()
    {
        var seen = new List<string>();
        await using var server = await StartServerAsync();
        async Task<string> Read(HttpResponseMessage response)
        {
            var body = await response.Content.ReadAsStringAsync();
            seen.Add(body + string.Join("\n", response.Headers.Select(h => $"{h.Key}: {string.Join(",", h.Value)}")));
            return body;
        }

        foreach (var (provider, model) in Models)
        {
            var chatId = await CreateChatAsync(server.Client, provider, model);
            // Environment key: a good answer, then the provider's auth error.
            Assert.Equal("done", Last(await Read(await Complete(server, chatId, "hello"))));
            Assert.Equal("error", Last(await Read(await Complete(server, chatId, "hello [[sim:fault=401]]"))));

            // A stored key the provider rejects (and echoes), then listed, then deleted.
            var stored = await server.Client.PostAsJsonAsync("/api/api-keys", new { provider, api_key = WrongKeys[provider] });
            var keyId = (await HttpAssert.JsonAsync(stored, System.Net.HttpStatusCode.Created)).GetProperty("id").GetString();
            seen.Add(await stored.Content.ReadAsStringAsync());
            var rejected = await Read(await Complete(server, chatId, "with the wrong key"));
            Assert.Equal("error", Last(rejected));
            Assert.Contains("key", rejected);
            await Read(await server.Client.GetAsync("/api/api-keys"));
            await Read(await server.Client.GetAsync($"/api/chats/{chatId}"));
            await Read(await server.Client.DeleteAsync($"/api/api-keys/{keyId}"));
        }
        await Read(await server.Client.GetAsync("/openapi/v1.json"));
        await Read(await server.Client.GetAsync("/api/models"));

        // The simulator did receive the wrong keys and did echo them: the scrubbing was tested for real.
        Assert.Contains(Simulator.Requests, r => r.Body.Contains("with the wrong key"));
        var output = server.Output;
        Assert.Contains("trce:", output);
        Assert.Contains("System.Net.Http.HttpClient.", output);
        foreach (var key in WrongKeys.Values.Concat(EnvironmentKeys))
        {
            Assert.DoesNotContain(key, output);
            Assert.All(seen, text => Assert.DoesNotContain(key, text));
            // Elided echoes ("sk-pro**********cdef") are not the key, but its start is still a secret's start.
            Assert.DoesNotContain(key[..12], string.Concat(seen));
        }
    }

    private static Task<HttpResponseMessage> Complete(ServerProcess server, string chatId, string content) =>
        server.Client.PostAsJsonAsync($"/api/chats/{chatId}/completions", new { content });

    private static string Last(string sseBody) =>
        System.Text.Json.JsonDocument.Parse(sseBody.Split('\n').Last(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..])
            .RootElement.GetProperty("type").GetString()!;
}
