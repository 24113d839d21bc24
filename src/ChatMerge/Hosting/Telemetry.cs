using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ChatMerge.Hosting;

/// <summary>What the operator chose to export, and whether message text may go with it.</summary>
internal sealed record TelemetrySettings(bool Otlp, bool Prometheus, bool CaptureMessages)
{
    /// <summary>Spans cost time on every request; they are made only when something takes them.</summary>
    public bool Tracing { get; init; }
}

/// <summary>
/// OpenTelemetry traces and metrics: ASP.NET Core, HttpClient, EF Core's meter, Npgsql, the
/// Microsoft.Extensions.AI chat pipeline's spans and our own <see cref="ChatMergeMetrics"/>. Exported over
/// OTLP when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (logs too), and scraped at
/// <c>/metrics</c> when <c>PROMETHEUS_ENABLED</c> is true. Without either nothing leaves the process
/// (tests add an in-memory exporter).
/// </summary>
internal static partial class Telemetry
{
    /// <summary>The ActivitySource and Meter name of the IChatClient pipeline (gen_ai spans and metrics).</summary>
    public const string AiSourceName = "ChatMerge.AI";
    public const string PrometheusPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var captureMessages = IsTrue(configuration["TELEMETRY_CAPTURE_MESSAGES"]);
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var settings = new TelemetrySettings(
            Otlp: otlp,
            Prometheus: IsTrue(configuration["PROMETHEUS_ENABLED"]),
            // Prompts and answers are the users' data: only a developer's machine may export them.
            CaptureMessages: captureMessages && builder.Environment.IsDevelopment())
        {
            // Traces have no local reader: without an exporter (or an explicit switch) none are made.
            // An explicit TELEMETRY_TRACING wins both ways: false keeps OTLP to metrics and logs.
            Tracing = configuration["TELEMETRY_TRACING"] is { } tracing && !string.IsNullOrWhiteSpace(tracing) ? IsTrue(tracing) : otlp,
        };
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ChatMergeMetrics>();
        if (captureMessages && !settings.CaptureMessages)
            builder.Services.AddHostedService<CaptureMessagesIgnoredWarning>();

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "chatmerge"));
        if (settings.Tracing)
            otel.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddSource(AiSourceName)
                // Npgsql traces its commands itself; SQLite has no tracing of its own.
                .AddSource("Npgsql"));
        otel
            .WithMetrics(metrics =>
            {
                metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    // Not AiSourceName: its meter is made per chat client (per provider, model and key), and OpenTelemetry
                    // merges same-named instruments, so one client's disposal would drop another's measurements.
                    // ChatMergeMetrics measures the same things (time to first token, tokens) on a lasting meter.
                    .AddMeter(ChatMergeMetrics.MeterName, "Microsoft.EntityFrameworkCore", "Npgsql");
                if (settings.Prometheus)
                    metrics.AddPrometheusExporter();
            });
        if (settings.Otlp)
            otel.WithLogging(_ => { }, options => options.IncludeScopes = true).UseOtlpExporter();
        return builder;
    }

    /// <summary>The Prometheus scrape endpoint, when enabled; it shares the API's port and protection.</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        if (app.Services.GetRequiredService<TelemetrySettings>().Prometheus)
            app.MapPrometheusScrapingEndpoint(PrometheusPath).WithTags("Health");
        return app;
    }

    /// <summary>Health probes and metric scrapes: not traced (they would drown the traces that matter) nor counted against a client's rate limit.</summary>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments(PrometheusPath);

    internal static bool IsTrue(string? value) =>
        value?.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    private sealed partial class CaptureMessagesIgnoredWarning(ILogger<TelemetrySettings> logger, IHostEnvironment environment) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            LogIgnored(logger, environment.EnvironmentName);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "TELEMETRY_CAPTURE_MESSAGES is ignored in the {Environment} environment; message text is exported only in Development")]
        private static partial void LogIgnored(ILogger logger, string environment);
    }
}
