using ChatMerge.Providers;

namespace ChatMerge.Tests.Providers;

/// <summary>
/// Providers and OpenAI-compatible gateways echo a key in many shapes, often elided, so the exact
/// key is not there to replace: what follows a key's label goes.
/// </summary>
public sealed class SecretsScrubTests
{
    private const string Key = "gw-7f3a9c1d2b8e40a1e4b2";

    [Theory]
    [InlineData("Authentication failed for api_key=gw-7f3a9c1d...e4b2")]
    [InlineData("invalid key=gw-7f3a9c1d...e4b2")]
    [InlineData("{\"error\": {\"api_key\": \"gw-7f3a9c1d...e4b2\"}}")]
    [InlineData("Incorrect API key provided: gw-7f3a9c1d...e4b2.")]
    [InlineData("Received API Key = gw-7f3a9c1d...e4b2")]
    [InlineData("Authorization: Bearer gw-7f3a9c1d...e4b2")]
    public void An_elided_key_after_its_label_is_redacted(string providerMessage)
    {
        var scrubbed = Secrets.Scrub(providerMessage, Key);
        Assert.DoesNotContain("7f3a9c1d", scrubbed);
        Assert.Contains("[redacted]", scrubbed);
    }

    [Fact]
    public void Words_that_only_end_in_key_are_left_alone() =>
        Assert.Equal("the monkey=bananas setting", Secrets.Scrub("the monkey=bananas setting", Key));
}
