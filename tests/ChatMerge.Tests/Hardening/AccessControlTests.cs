using System.Net;
using ChatMerge.Hosting;

namespace ChatMerge.Tests.Hardening;

/// <summary>The access decision alone: the tests' own requests always come from loopback.</summary>
public sealed class AccessControlTests
{
    private static readonly AccessControl Open = new([]);
    private static readonly AccessControl WithTokens = new(["first-token-0123456789", "second-token-9876543210"]);

    [Theory]
    [InlineData("203.0.113.5")]
    [InlineData("192.168.1.20")]
    [InlineData("10.0.0.1")]
    [InlineData("2001:db8::1")]
    [InlineData("::ffff:203.0.113.5")]
    public void Without_a_token_a_remote_client_is_refused(string address) =>
        Assert.Equal(Access.NotLocal, Open.Decide("/api/chats", IPAddress.Parse(address), null));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.53")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Without_a_token_a_loopback_client_is_served(string address) =>
        Assert.Equal(Access.Allowed, Open.Decide("/api/chats", IPAddress.Parse(address), null));

    [Fact]
    public void Without_a_token_a_remote_client_is_refused_everywhere_but_health()
    {
        var remote = IPAddress.Parse("203.0.113.5");
        Assert.Equal(Access.NotLocal, Open.Decide("/docs", remote, null));
        Assert.Equal(Access.NotLocal, Open.Decide("/openapi/v1.json", remote, null));
        Assert.Equal(Access.Allowed, Open.Decide("/health", remote, null));
        Assert.Equal(Access.Allowed, Open.Decide("/health/ready", remote, null));
        Assert.Equal(Access.NotLocal, Open.Decide("/healthz", remote, null));
        Assert.Equal(Access.NotLocal, Open.Decide("/api/chats", remote, null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("localhost")]
    [InlineData("localhost:8000")]
    [InlineData("LOCALHOST.:8000")]
    [InlineData("chat.localhost:8000")]
    [InlineData("127.0.0.1:8000")]
    [InlineData("192.168.1.20")]
    [InlineData("[::1]:8000")]
    public void Without_a_token_a_request_addressed_to_localhost_or_an_address_is_served(string? host) =>
        Assert.Equal(Access.Allowed, Open.Decide("/api/chats", IPAddress.Loopback, null, host));

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:8000")]
    [InlineData("127.0.0.1.nip.io:8000")]
    [InlineData("localhost.attacker.example")]
    public void Without_a_token_a_request_addressed_to_another_name_is_refused_even_from_loopback(string host)
    {
        // A page of attacker.example that rebinds its name to 127.0.0.1 reaches the server from loopback.
        Assert.Equal(Access.NotLocalName, Open.Decide("/api/chats", IPAddress.Loopback, null, host));
        Assert.Equal(Access.Allowed, Open.Decide("/health", IPAddress.Loopback, null, host));
        Assert.Equal(Access.Allowed, WithTokens.Decide("/api/chats", IPAddress.Loopback, "Bearer first-token-0123456789", host));
        var problem = AccessControl.Problem(Access.NotLocalName);
        Assert.Equal(403, problem.Status);
        Assert.Contains("CHATMERGE_API_TOKEN", problem.Detail);
    }

    [Fact]
    public void With_tokens_metrics_need_one_like_the_api()
    {
        var remote = IPAddress.Parse("203.0.113.5");
        Assert.Equal(Access.NeedsToken, WithTokens.Decide("/metrics", remote, null));
        Assert.Equal(Access.Allowed, WithTokens.Decide("/metrics", remote, "Bearer second-token-9876543210"));
        Assert.Equal(Access.Allowed, WithTokens.Decide("/docs", remote, null));
    }

    [Fact]
    public void Protected_mode_detail_says_how_to_set_a_token()
    {
        var problem = AccessControl.Problem(Access.NotLocal);
        Assert.Equal(403, problem.Status);
        Assert.Contains("CHATMERGE_API_TOKEN", problem.Detail);
        Assert.Contains("Authorization: Bearer", problem.Detail);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer first-token-012345678")]
    [InlineData("Bearer first-token-01234567890")]
    [InlineData("Basic first-token-0123456789")]
    [InlineData("first-token-0123456789")]
    [InlineData("Bearer FIRST-TOKEN-0123456789")]
    public void With_tokens_an_api_request_without_a_valid_one_needs_a_token(string? authorization)
    {
        Assert.Equal(Access.NeedsToken, WithTokens.Decide("/api/chats", IPAddress.Loopback, authorization));
        Assert.Equal(Access.NeedsToken, WithTokens.Decide("/api/chats", IPAddress.Parse("203.0.113.5"), authorization));
    }

    [Theory]
    [InlineData("Bearer first-token-0123456789")]
    [InlineData("Bearer second-token-9876543210")]
    [InlineData("bearer second-token-9876543210")]
    public void With_tokens_any_configured_token_opens_the_api_to_any_address(string authorization) =>
        Assert.Equal(Access.Allowed, WithTokens.Decide("/api/chats", IPAddress.Parse("203.0.113.5"), authorization));

    [Fact]
    public void With_tokens_health_stays_open() =>
        Assert.Equal(Access.Allowed, WithTokens.Decide("/health", IPAddress.Parse("203.0.113.5"), null));

    [Fact]
    public void Tokens_are_read_comma_or_space_separated()
    {
        Assert.Equal(["a1", "b2", "c3"], AccessControl.Split(" a1, b2;c3 "));
        Assert.False(new AccessControl(AccessControl.Split("  ")).HasTokens);
    }
}
