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
}
