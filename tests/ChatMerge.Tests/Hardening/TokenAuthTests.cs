using System.Net;
using System.Net.Http.Headers;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

public sealed class TokenAuthTests(TokenServerFixture server) : IClassFixture<TokenServerFixture>
{
    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? authorization, string client = "203.0.113.5", HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("X-Forwarded-For", client);
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return server.Client.SendAsync(request);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Bearer " + TokenServerFixture.First + "x")]
    [InlineData("Basic " + TokenServerFixture.First)]
    public async Task Api_request_without_a_valid_token_is_401_from_anywhere(string? authorization)
    {
        foreach (var client in new[] { "203.0.113.5", "127.0.0.1" })
        {
            var response = await SendAsync(HttpMethod.Get, "/api/chats", authorization, client);
            var detail = await HttpAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains("Bearer", detail);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Theory]
    [InlineData(TokenServerFixture.First)]
    [InlineData(TokenServerFixture.Second)]
    public async Task Either_configured_token_opens_the_api_to_a_remote_client(string token)
    {
        var response = await SendAsync(HttpMethod.Post, "/api/chats", "Bearer " + token,
            content: new StringContent("{\"provider\":\"openai\",\"model\":\"gpt-4o\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Rejected_write_stores_nothing()
    {
        var before = await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats");
        var response = await SendAsync(HttpMethod.Post, "/api/chats", "Bearer nope",
            content: new StringContent("{\"provider\":\"openai\",\"model\":\"gpt-4o\"}", System.Text.Encoding.UTF8, "application/json"));
        await HttpAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal(before, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats"));
    }

    [Fact]
    public async Task Health_needs_no_token() =>
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "/health", null)).StatusCode);

    [Fact]
    public async Task Cors_preflight_is_answered_without_a_token()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/chats");
        preflight.Headers.Add("Origin", "https://chat.example.org");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        var response = await server.Client.SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("https://chat.example.org", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Token_client_with_default_header_works_end_to_end()
    {
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenServerFixture.Second);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/models")).StatusCode);
    }
}
