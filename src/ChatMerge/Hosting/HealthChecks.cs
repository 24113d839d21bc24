using System.Diagnostics;
using System.Text.Json;
using ChatMerge.Data;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatMerge.Hosting;

/// <summary>
/// <c>/health</c>: liveness, the process answers (the original's <c>{"status": "ok"}</c>).
/// <c>/health/ready</c>: readiness for a load balancer, the database is reachable and fully migrated;
/// 200 <c>{"status": "ok", ...}</c> or 503 <c>{"status": "unavailable", ...}</c>.
/// </summary>
internal static class HealthChecks
{
    private const string Ready = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        // A probe that hangs is worse than one that fails: load balancers give up after a few seconds.
        builder.Services.AddSingleton<DatabaseReadyCheck>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: [Ready], timeout: DatabaseReadyCheck.Timeout);
        return builder;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        // HEAD as well: uptime monitors often probe with it, and /health/ready answers it too.
        app.MapMethods("/health", [HttpMethods.Get, HttpMethods.Head], () => TypedResults.Ok(new { status = "ok" })).WithTags("Health");
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Ready),
            ResponseWriter = WriteAsync,
        }).WithTags("Health");
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        var body = new
        {
            status = report.Status == HealthStatus.Healthy ? "ok" : "unavailable",
            checks = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status == HealthStatus.Healthy ? "ok" : e.Value.Description ?? "failed"),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}

/// <summary>
/// Ready when the database answers and no migration is pending (a newer instance may not have run yet).
/// Probes within <see cref="Reuse"/> of a check share it: /health/ready is open to anyone and never
/// rate limited (a load balancer shares the clients' address), so a flood of probes must not become
/// a flood of database connections.
/// </summary>
internal sealed class DatabaseReadyCheck(DatabaseSettings settings) : IHealthCheck
{
    /// <summary>A probe gives up after this long: load balancers give up after a few seconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    internal static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _last;
    private long _lastStarted;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Shared().WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(Unreachable);
        }
    }

    private Task<HealthCheckResult> Shared()
    {
        lock (_gate)
        {
            if (_last is null || Stopwatch.GetElapsedTime(_lastStarted) >= Reuse)
            {
                _lastStarted = Stopwatch.GetTimestamp();
                // Off the lock: SQLite opens and queries synchronously.
                _last = Task.Run(CheckAsync);
            }
            return _last;
        }
    }

    /// <summary>One check, timed by itself: the probe that started it may go away before the others.</summary>
    private async Task<HealthCheckResult> CheckAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            // Npgsql does not stop a connection attempt that the server never answers before its own
            // Timeout (15 s): the probe gives up on the check's timeout, and the attempt ends on its own.
            var pending = await PendingAsync(timeout.Token).WaitAsync(timeout.Token);
            return pending == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{pending} database migration(s) not applied.");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(Unreachable);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The exception's text may name hosts or users; the probe answer stays generic.
            return HealthCheckResult.Unhealthy(Unreachable, e);
        }
    }

    private const string Unreachable = "The database cannot be reached.";

    private async Task<int> PendingAsync(CancellationToken cancellationToken)
    {
        // A plain connection and query: probes come every few seconds, and need no EF Core.
        await using var connection = MigrationState.Connect(settings);
        await connection.OpenAsync(cancellationToken);
        return (await MigrationState.PendingAsync(connection, settings.Provider, cancellationToken)).Count;
    }
}
