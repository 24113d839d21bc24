using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace ChatMerge.Hosting;

/// <summary>
/// Per-client budgets per minute. Streams (completions and merges) spend the owner's money, so
/// they have their own, smaller budget; everything else shares the other one.
/// </summary>
internal sealed class RateLimitOptions
{
    public const string StreamsVariable = "CHATMERGE_RATE_LIMIT_STREAMS";
    public const string RequestsVariable = "CHATMERGE_RATE_LIMIT_REQUESTS";

    public int StreamsPerMinute { get; set; } = 120;
    public int RequestsPerMinute { get; set; } = 1200;

    public static RateLimitOptions FromConfiguration(IConfiguration configuration) => new()
    {
        StreamsPerMinute = Read(configuration, StreamsVariable, 120),
        RequestsPerMinute = Read(configuration, RequestsVariable, 1200),
    };

    private static int Read(IConfiguration configuration, string name, int fallback)
    {
        var value = configuration[name];
        if (string.IsNullOrWhiteSpace(value))
            return fallback;
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            throw new SettingsException($"{name} must be a whole number of requests per minute (at least 1), not '{value}'.");
        return number;
    }
}

internal static class RateLimits
{
    /// <summary>Which of the two budgets a request draws on.</summary>
    public static bool IsStream(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && (IsCompletion(request.Path) || request.Path.StartsWithSegments("/api/merge", StringComparison.OrdinalIgnoreCase));

    /// <summary>/api/chats/{id}/completions, and with a trailing slash, which routing serves alike.</summary>
    public static bool IsCompletion(PathString path) =>
        path.StartsWithSegments("/api/chats", StringComparison.OrdinalIgnoreCase)
        && path.Value.AsSpan().TrimEnd('/').EndsWith("/completions", StringComparison.OrdinalIgnoreCase);

    private static bool IsAdmitted(HttpContext context) =>
        context.RequestServices.GetRequiredService<AccessControl>().Decide(context.Request.Path, context.Connection.RemoteIpAddress,
            context.Request.Headers.Authorization, context.Request.Headers.Host) == Access.Allowed;

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        var limits = RateLimitOptions.FromConfiguration(builder.Configuration);
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // A load balancer or a scraper behind the clients' proxy shares their address; its probes must not fail with them.
                // A scrape that is refused (no token, a wrong one) counts: otherwise /metrics would take token guesses without limit.
                if (Telemetry.IsProbe(context.Request.Path) && IsAdmitted(context))
                    return RateLimitPartition.GetNoLimiter("probes");
                var stream = IsStream(context.Request);
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "local";
                return RateLimitPartition.GetFixedWindowLimiter((stream ? "streams|" : "requests|") + client, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = stream ? limits.StreamsPerMinute : limits.RequestsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = IsStream(context.Request)
                            ? $"Too many completions or merges from this client (at most {limits.StreamsPerMinute} a minute). Try again in {seconds} s."
                            : $"Too many requests from this client (at most {limits.RequestsPerMinute} a minute). Try again in {seconds} s.",
                    },
                });
            };
        });
        return builder;
    }
}
