using System.Net;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;
using static ChatMerge.Tests.Providers.Gemini.GeminiWireSamples;

namespace ChatMerge.Tests.Providers.Gemini;

public class GeminiErrorTests
{
    static Task<GeminiException> StreamFailsAsync(FakeGeminiHandler handler) =>
        Assert.ThrowsAsync<GeminiException>(async () =>
        {
            var client = new GeminiChatClient(handler.CreateClient(), FakeGeminiHandler.Key, "gemini-2.5-flash");
            await foreach (var _ in client.GetStreamingResponseAsync([new(ChatRole.User, "hi")])) { }
        });

    [Fact]
    public async Task Bad_key_400_is_an_auth_error_whose_message_hides_the_key()
    {
        var error = await StreamFailsAsync(new FakeGeminiHandler().Respond(HttpStatusCode.BadRequest, ApiKeyInvalid));

        Assert.True(error.IsAuthError);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal("INVALID_ARGUMENT", error.Status);
        Assert.Equal("API_KEY_INVALID", error.Reason);
        Assert.Contains("API key not valid", error.Message);
        Assert.DoesNotContain(FakeGeminiHandler.Key, error.Message);
        Assert.DoesNotContain(FakeGeminiHandler.Key, error.ToString());
    }

    [Fact]
    public async Task Other_400_is_not_an_auth_error()
    {
        var body = """{"error":{"code":400,"message":"Unable to submit request because thinking_budget and thinking_level are not supported together.","status":"INVALID_ARGUMENT"}}""";

        var error = await StreamFailsAsync(new FakeGeminiHandler().Respond(HttpStatusCode.BadRequest, body));

        Assert.False(error.IsAuthError);
        Assert.Null(error.Reason);
    }

    [Fact]
    public async Task Forbidden_403_is_an_auth_error()
    {
        var body = """{"error":{"code":403,"message":"Method doesn't allow unregistered callers.","status":"PERMISSION_DENIED"}}""";

        var error = await StreamFailsAsync(new FakeGeminiHandler().Respond(HttpStatusCode.Forbidden, body));

        Assert.True(error.IsAuthError);
        Assert.Equal("PERMISSION_DENIED", error.Status);
    }

    [Fact]
    public async Task Rate_limit_429_carries_the_retry_delay()
    {
        var error = await StreamFailsAsync(new FakeGeminiHandler().Respond(HttpStatusCode.TooManyRequests, QuotaExceeded));

        Assert.Equal(429, error.StatusCode);
        Assert.Equal("RESOURCE_EXHAUSTED", error.Status);
        Assert.Equal(TimeSpan.FromSeconds(15), error.RetryAfter);
        Assert.False(error.IsAuthError);
    }

    [Fact]
    public async Task Retry_after_header_is_used_without_retry_info()
    {
        var body = """{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}""";

        var error = await StreamFailsAsync(new FakeGeminiHandler().Respond(HttpStatusCode.TooManyRequests, body, retryAfter: TimeSpan.FromSeconds(7)));

        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
    }

    [Fact]
    public async Task Unavailable_503_keeps_status_and_message()
    {
        var error = await StreamFailsAsync(new FakeGeminiHandler().Respond(HttpStatusCode.ServiceUnavailable, Unavailable));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal("UNAVAILABLE", error.Status);
        Assert.Contains("overloaded", error.Message);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task Non_json_error_body_gives_a_message_with_the_status_code()
    {
        var handler = new FakeGeminiHandler().Respond(HttpStatusCode.BadGateway, "<html><body>502 Bad Gateway</body></html>", "text/html");

        var error = await StreamFailsAsync(handler);

        Assert.Equal(502, error.StatusCode);
        Assert.Contains("502", error.Message);
        Assert.Null(error.Status);
    }

    [Fact]
    public async Task Non_streaming_call_fails_the_same_way()
    {
        var client = new GeminiChatClient(
            new FakeGeminiHandler().Respond(HttpStatusCode.BadRequest, ApiKeyInvalid).CreateClient(), FakeGeminiHandler.Key, "gemini-2.5-flash");

        var error = await Assert.ThrowsAsync<GeminiException>(() => client.GetResponseAsync([new(ChatRole.User, "hi")]));

        Assert.True(error.IsAuthError);
        Assert.DoesNotContain(FakeGeminiHandler.Key, error.Message);
    }

    [Theory]
    [InlineData(15, null, 15)] // QuotaExceeded's RetryInfo
    [InlineData(null, 7, 7)] // a Retry-After header alone
    [InlineData(120, null, 30)] // capped
    [InlineData(null, null, null)] // nothing asked: the back-off decides
    public async Task Retry_waits_follow_what_the_response_asks_for_up_to_a_cap(int? bodySeconds, int? headerSeconds, int? expectedSeconds)
    {
        var body = bodySeconds is { } s
            ? QuotaExceeded.Replace("\"retryDelay\":\"15s\"", $"\"retryDelay\":\"{s}s\"")
            : """{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}""";
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Content = new StringContent(body) };
        if (headerSeconds is { } h)
            response.Headers.RetryAfter = new(TimeSpan.FromSeconds(h));

        var wait = await ChatMerge.Providers.ProvidersSetup.GeminiRetryDelayAsync(response, CancellationToken.None);

        Assert.Equal(expectedSeconds is { } e ? TimeSpan.FromSeconds(e) : null, wait);
    }
}
