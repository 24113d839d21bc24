using System.Net;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

public sealed class ProtectedModeTests(TrustedProxyServerFixture server) : IClassFixture<TrustedProxyServerFixture>
{
    private static HttpRequestMessage From(string client, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Forwarded-For", client);
        return request;
    }

    [Theory]
    [InlineData("GET", "/api/chats")]
    [InlineData("POST", "/api/chats")]
    [InlineData("GET", "/api/api-keys")]
    [InlineData("GET", "/api/models")]
    [InlineData("GET", "/openapi/v1.json")]
    public async Task Remote_client_behind_the_trusted_proxy_gets_403_that_says_how_to_set_a_token(string method, string path)
    {
        var before = await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats");
        using var request = From("203.0.113.5", new HttpMethod(method), path);
        if (method == "POST")
            request.Content = new StringContent("{\"provider\":\"openai\",\"model\":\"gpt-4o\"}", System.Text.Encoding.UTF8, "application/json");

        var detail = await HttpAssert.ProblemAsync(await server.Client.SendAsync(request), HttpStatusCode.Forbidden);

        Assert.Contains("protected mode", detail);
        Assert.Contains("CHATMERGE_API_TOKEN", detail);
        Assert.Equal(before, await server.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats"));
    }

    [Fact]
    public async Task Remote_client_still_sees_health()
    {
        using var request = From("203.0.113.5", HttpMethod.Get, "/health");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Local_client_addressing_the_server_by_a_foreign_name_gets_403()
    {
        using var request = From("127.0.0.1", HttpMethod.Get, "/api/chats");
        request.Headers.Host = "rebound.attacker.example:8000";

        var detail = await HttpAssert.ProblemAsync(await server.Client.SendAsync(request), HttpStatusCode.Forbidden);

        Assert.Contains("'localhost' or an IP address", detail);
    }

    [Fact]
    public async Task Remote_client_behind_two_trusted_proxies_is_still_remote()
    {
        // Two hops on this machine (a TLS terminator in front of nginx, say): the second appends the first's address.
        using var request = From("203.0.113.5, 127.0.0.1", HttpMethod.Get, "/api/chats");
        var detail = await HttpAssert.ProblemAsync(await server.Client.SendAsync(request), HttpStatusCode.Forbidden);
        Assert.Contains("protected mode", detail);
    }

    [Fact]
    public async Task Local_client_behind_the_proxy_is_served()
    {
        using var request = From("127.0.0.1", HttpMethod.Get, "/api/chats");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Security_headers_are_on_successes_and_errors_alike()
    {
        using var remote = From("203.0.113.5", HttpMethod.Get, "/api/chats");
        var responses = new[]
        {
            await server.Client.GetAsync("/api/chats"),
            await server.Client.GetAsync("/health"),
            await server.Client.GetAsync("/api/chats/not-a-uuid"),
            await server.Client.GetAsync("/no/such/endpoint"),
            await server.Client.SendAsync(remote),
        };
        foreach (var response in responses)
        {
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        }
        Assert.True(responses[0].Headers.CacheControl?.NoStore, "API answers must not be cached");
    }

    [Fact]
    public async Task Cors_allows_only_the_configured_origins()
    {
        using var allowed = new HttpRequestMessage(HttpMethod.Get, "/api/chats");
        allowed.Headers.Add("Origin", "https://chat.example.org");
        using var other = new HttpRequestMessage(HttpMethod.Get, "/api/chats");
        other.Headers.Add("Origin", "https://evil.example.net");
        using var localDev = new HttpRequestMessage(HttpMethod.Get, "/api/chats");
        localDev.Headers.Add("Origin", "http://localhost:3000");

        var allowedResponse = await server.Client.SendAsync(allowed);
        Assert.Equal("https://chat.example.org", allowedResponse.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False((await server.Client.SendAsync(other)).Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False((await server.Client.SendAsync(localDev)).Headers.Contains("Access-Control-Allow-Origin"));
    }
}

/// <summary>Without trusted proxies a forwarded header is just a header: a client cannot pick its address.</summary>
public sealed class UntrustedForwardedHeaderTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Forwarded_for_from_an_untrusted_peer_is_ignored()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/chats");
        request.Headers.Add("X-Forwarded-For", "203.0.113.5");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.SendAsync(request)).StatusCode);
    }
}
