using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Completions;

/// <summary>The simulated server, with a wait for the first token long enough for the waits that providers ask for.</summary>
public sealed class PatientServerFixture : SimulatedServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Providers:StreamIdleTimeout", "00:00:30")];
}

public sealed class ProviderRetryTests(PatientServerFixture server) : IClassFixture<PatientServerFixture>
{
    [Fact]
    public async Task Gemini_retries_after_the_wait_its_429_body_asks_for_and_tells_it_when_it_gives_up()
    {
        var chatId = (await server.CreateChatAsync("gemini", "gemini-2.0-flash")).GetProperty("id").GetString()!;
        server.Simulator.ClearRequests();

        // RetryInfo in the body, no Retry-After header: as Gemini answers.
        var result = await server.CompleteAsync(chatId, "busy? [[sim:fault=429]] [[sim:retry-after=3]]");

        var attempts = server.Simulator.Requests.Where(r => r.Provider == "gemini" && r.Method == "POST").ToList();
        Assert.Equal(2, attempts.Count); // Providers:MaxRetries is 1
        var gap = attempts[1].ReceivedAt - attempts[0].ReceivedAt;
        Assert.True(gap >= TimeSpan.FromSeconds(2.9), $"the retry came after {gap.TotalSeconds:0.00} s, not after the 3 s asked for");
        Assert.Equal("error", result.Last?.Type);
        Assert.Equal("Gemini rate limit or quota reached (429). Try again in 3 s.", result.Last!.Data);
    }

    [Theory]
    [InlineData("openai", "gpt-4o-mini", "OpenAI rate limit or quota reached (429). Try again in 40 s.")]
    [InlineData("anthropic", "claude-3-5-haiku-latest", "Anthropic rate limit or quota reached (429).")]
    public async Task A_429_that_asks_for_a_longer_wait_than_the_first_token_may_take_is_told_at_once(string provider, string model, string expected)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;
        server.Simulator.ClearRequests();
        var started = DateTime.UtcNow;

        // 40 s: more than the 30 s this server waits for a first token; the SDKs would sleep it through.
        var result = await server.CompleteAsync(chatId, "busy? [[sim:fault=429]] [[sim:retry-after=40]]");

        Assert.Equal("error", result.Last?.Type);
        Assert.StartsWith(expected, result.Last!.Data);
        Assert.Single(server.Simulator.Requests, r => r.Method == "POST");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the error should come without waiting out the 429");
    }

    [Theory]
    [InlineData("openai", "gpt-4o-mini")]
    [InlineData("anthropic", "claude-3-5-haiku-latest")]
    public async Task A_429_that_asks_for_a_short_wait_is_still_retried(string provider, string model)
    {
        var chatId = (await server.CreateChatAsync(provider, model)).GetProperty("id").GetString()!;
        server.Simulator.ClearRequests();

        var result = await server.CompleteAsync(chatId, "busy? [[sim:fault=429]] [[sim:retry-after=1]]");

        Assert.Equal("error", result.Last?.Type);
        Assert.Equal(2, server.Simulator.Requests.Count(r => r.Method == "POST")); // Providers:MaxRetries is 1
    }
}
