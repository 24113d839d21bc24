using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>
/// Behind a proxy on loopback that the server trusts: X-Forwarded-For decides who the client is. The
/// allowed origin is written as copied from a browser's address bar, with a trailing slash.
/// </summary>
public sealed class TrustedProxyServerFixture : ServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("CHATMERGE_TRUSTED_PROXIES", "127.0.0.1"),
        new("CORS_ORIGINS", "https://chat.example.org/"),
    ];
}

/// <summary>Two API tokens (a rotation in progress), behind a trusted loopback proxy.</summary>
public sealed class TokenServerFixture : ServerFixture
{
    public const string First = "tok-first-4f1c9a7e2b";
    public const string Second = "tok-second-8d2e6b0a13";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("CHATMERGE_API_TOKEN", $"{First},{Second}"),
        new("CHATMERGE_TRUSTED_PROXIES", "127.0.0.0/8"),
        new("CORS_ORIGINS", "https://chat.example.org"),
    ];
}

/// <summary>Tiny budgets so that the limiter can be reached in a test.</summary>
public sealed class TinyBudgetServerFixture : SimulatedServerFixture
{
    public const int Requests = 6;
    public const int Streams = 2;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("CHATMERGE_RATE_LIMIT_REQUESTS", Requests.ToString()),
        new("CHATMERGE_RATE_LIMIT_STREAMS", Streams.ToString()),
    ];
}

/// <summary>A token, the Prometheus endpoint, and a budget small enough to reach.</summary>
public sealed class MetricsTokenServerFixture : ServerFixture
{
    public const string Token = "tok-metrics-5b7d1e9c3a";
    public const int Requests = 4;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("CHATMERGE_API_TOKEN", Token),
        new("PROMETHEUS_ENABLED", "true"),
        new("CHATMERGE_RATE_LIMIT_REQUESTS", Requests.ToString()),
    ];
}
