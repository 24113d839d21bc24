using System.Net;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

public sealed class RateLimitTests(TinyBudgetServerFixture server) : IClassFixture<TinyBudgetServerFixture>
{
    // One test: the budgets are per minute, so everything happens in one window.
    [Fact]
    public async Task Streams_and_other_requests_have_separate_budgets_and_excess_gets_429_with_retry_after()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        for (var i = 0; i < TinyBudgetServerFixture.Streams; i++)
            Assert.Equal("done", (await server.CompleteAsync(chatId, $"hello {i}")).Last?.Type);

        var refusedStream = await server.Client.PostJsonTextAsync($"/api/chats/{chatId}/completions", "{\"content\":\"one too many\"}");
        var streamDetail = await HttpAssert.ProblemAsync(refusedStream, HttpStatusCode.TooManyRequests);
        Assert.Contains("completions", streamDetail);
        Assert.True(int.Parse(refusedStream.Headers.GetValues("Retry-After").Single()) is > 0 and <= 60);

        // The chat was created from the other budget; the rest of it is still there.
        for (var i = 1; i < TinyBudgetServerFixture.Requests; i++)
            Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/api/chats")).StatusCode);
        var refused = await server.Client.GetAsync("/api/chats");
        await HttpAssert.ProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.Contains("Retry-After"));
        // A load balancer sharing the client's address still sees the server healthy.
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/ready")).StatusCode);

        // The refused stream stored nothing.
        Assert.Equal(2 * TinyBudgetServerFixture.Streams,
            await server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM messages WHERE chat_id = {server.Database.IdLiteral(chatId)}"));
    }
}

public sealed class TrailingSlashRateLimitTests(TinyBudgetServerFixture server) : IClassFixture<TinyBudgetServerFixture>
{
    [Fact]
    public async Task A_trailing_slash_does_not_move_a_completion_to_the_larger_budget()
    {
        // Routing serves /completions/ as /completions: it must be counted as the same stream.
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        for (var i = 0; i < TinyBudgetServerFixture.Streams; i++)
            Assert.Equal("done", (await server.CompleteAsync(chatId, $"hello {i}")).Last?.Type);

        var refused = await server.Client.PostJsonTextAsync($"/api/chats/{chatId}/completions/", "{\"content\":\"one too many\"}");
        Assert.Contains("completions", await HttpAssert.ProblemAsync(refused, HttpStatusCode.TooManyRequests));
        Assert.Equal(2 * TinyBudgetServerFixture.Streams,
            await server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM messages WHERE chat_id = {server.Database.IdLiteral(chatId)}"));
    }
}

public sealed class MetricsRateLimitTests(MetricsTokenServerFixture server) : IClassFixture<MetricsTokenServerFixture>
{
    [Fact]
    public async Task Token_guesses_at_metrics_are_counted_but_the_scraper_with_its_token_never_is()
    {
        // /metrics is exempt from the budget so that a scraper behind the clients' proxy never fails with them;
        // the exemption must not make it the one place where tokens can be guessed without limit.
        async Task<HttpResponseMessage> ScrapeAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return await server.Client.SendAsync(request);
        }

        for (var i = 0; i < MetricsTokenServerFixture.Requests; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await ScrapeAsync($"guess-{i}")).StatusCode);
        await HttpAssert.ProblemAsync(await ScrapeAsync("one-guess-too-many"), HttpStatusCode.TooManyRequests);

        for (var i = 0; i < 2 * MetricsTokenServerFixture.Requests; i++)
            Assert.Equal(HttpStatusCode.OK, (await ScrapeAsync(MetricsTokenServerFixture.Token)).StatusCode);
    }
}

public sealed class BodyLimitTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task Key_body_over_16_kb_is_413()
    {
        var response = await server.Client.PostAsync("/api/api-keys", Json($"{{\"provider\":\"openai\",\"api_key\":\"{new string('k', 20_000)}\"}}"));
        await HttpAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM api_keys"));
    }

    [Fact]
    public async Task Chat_body_over_1_mb_is_413()
    {
        var before = await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats");
        // Expect: 100-continue: the refusal comes before the body is sent. Without it the server may
        // close the connection while the client is still sending, and the client sees a broken pipe.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/chats")
        {
            Content = Json($"{{\"provider\":\"openai\",\"model\":\"gpt-4o\",\"system_prompt\":\"{new string('s', 1_200_000)}\"}}"),
        };
        request.Headers.ExpectContinue = true;
        var response = await server.Client.SendAsync(request);
        await HttpAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats"));
    }

    [Fact]
    public async Task A_message_of_a_million_characters_fits_but_more_than_8_mb_does_not()
    {
        var unknownChat = Guid.CreateVersion7();
        var large = await server.Client.PostAsync($"/api/chats/{unknownChat}/completions", Json($"{{\"content\":\"{new string('m', 1_000_000)}\"}}"));
        await HttpAssert.ProblemAsync(large, HttpStatusCode.NotFound);

        // Expect: 100-continue, as curl sends for large bodies: the refusal comes before the body is sent.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/chats/{unknownChat}/completions")
        {
            Content = Json($"{{\"content\":\"{new string('m', 9_000_000)}\"}}"),
        };
        request.Headers.ExpectContinue = true;
        var huge = await server.Client.SendAsync(request);
        await HttpAssert.ProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_message_of_a_million_characters_fits_with_a_trailing_slash_too()
    {
        // 2 MB of UTF-8: over the 1 MB of other requests.
        var large = await server.Client.PostAsync($"/api/chats/{Guid.CreateVersion7()}/completions/", Json($"{{\"content\":\"{new string('é', 1_000_000)}\"}}"));
        await HttpAssert.ProblemAsync(large, HttpStatusCode.NotFound);
    }
}
