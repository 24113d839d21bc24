using System.Diagnostics;
using System.Text;
using ChatMerge.Hosting;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ChatMerge.Tests.Operations;

/// <summary>The simulated server with in-memory exporters beside its own, and the Prometheus endpoint on.</summary>
public sealed class TelemetryServerFixture : SimulatedServerFixture
{
    private readonly List<Metric> _metrics = [];
    private readonly List<Activity> _activities = [];

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        base.Settings().Append(new("PROMETHEUS_ENABLED", "true")).Append(new("TELEMETRY_TRACING", "true"));

    protected override void ConfigureServices(IServiceCollection services)
    {
        // Exported only when a test flushes (under its lock), never by the reader's own timer.
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(_metrics,
            reader => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = int.MaxValue));
        // Spans end on any thread (a provider call, a database command): collect them under the lock we read with.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new Collector(_activities)));
    }

    /// <summary>
    /// Sum of the points of one instrument whose tags include all of <paramref name="tags"/>
    /// (histograms: their count). Meters are process-wide, so tests filter on a model of their own.
    /// </summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags)
    {
        lock (_metrics)
        {
            _metrics.Clear();
            Services.GetRequiredService<MeterProvider>().ForceFlush();
            double total = 0;
            foreach (var metric in _metrics.Where(m => m.Name == instrument))
            {
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    var pointTags = new Dictionary<string, object?>();
                    foreach (var tag in point.Tags)
                        pointTags[tag.Key] = tag.Value;
                    if (!tags.All(t => Equals(pointTags.GetValueOrDefault(t.Key), t.Value)))
                        continue;
                    total += metric.MetricType switch
                    {
                        MetricType.Histogram => point.GetHistogramCount(),
                        MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                        _ => point.GetSumDouble(),
                    };
                }
            }
            return total;
        }
    }

    private sealed class Collector(List<Activity> into) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity activity)
        {
            lock (into)
                into.Add(activity);
        }
    }

    /// <summary>Everything the finished spans carry, as text: names, tags, events and their tags.</summary>
    public (string Text, List<string> Sources) Spans()
    {
        Services.GetRequiredService<TracerProvider>().ForceFlush();
        lock (_activities)
        {
            var text = new StringBuilder();
            foreach (var activity in _activities)
            {
                text.AppendLine(activity.DisplayName);
                foreach (var tag in activity.TagObjects)
                    text.AppendLine($"{tag.Key}={tag.Value}");
                foreach (var e in activity.Events)
                {
                    text.AppendLine(e.Name);
                    foreach (var tag in e.Tags)
                        text.AppendLine($"{tag.Key}={tag.Value}");
                }
            }
            return (text.ToString(), _activities.Select(a => a.Source.Name).Distinct().ToList());
        }
    }
}

public sealed class TelemetryTests(TelemetryServerFixture server) : IClassFixture<TelemetryServerFixture>
{
    [Fact]
    public async Task Completion_counts_its_start_first_token_and_tokens_and_closes_its_stream()
    {
        var model = UniqueModel();
        var chatId = (await server.CreateChatAsync("openai", model)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "Count me.");

        Assert.Equal("done", result.Last?.Type);
        var chat = new[] { ("gen_ai.provider.name", "openai"), ("gen_ai.request.model", model) };
        Assert.Equal(1, server.Sum("chatmerge.completions.started", chat));
        Assert.Equal(0, server.Sum("chatmerge.completions.failed", chat));
        Assert.Equal(1, server.Sum("chatmerge.time_to_first_token", [.. chat, ("chatmerge.operation", "completion")]));
        Assert.True(server.Sum("chatmerge.tokens", [.. chat, ("gen_ai.token.type", "input")]) > 0);
        Assert.True(server.Sum("chatmerge.tokens", [.. chat, ("gen_ai.token.type", "output")]) > 0);
    }

    [Fact]
    public async Task Provider_failure_counts_a_failed_completion_with_its_error_type()
    {
        var model = UniqueModel();
        var chatId = (await server.CreateChatAsync("gemini", model)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "[[sim:fault=401]] fail please");

        Assert.Equal("error", result.Last?.Type);
        var chat = new[] { ("gen_ai.provider.name", "gemini"), ("gen_ai.request.model", model) };
        Assert.Equal(1, server.Sum("chatmerge.completions.started", chat));
        Assert.Equal(1, server.Sum("chatmerge.completions.failed", chat));
        Assert.Equal(0, server.Sum("chatmerge.time_to_first_token", chat));
    }

    [Fact]
    public async Task Merges_count_their_start_first_token_and_failures()
    {
        var model = UniqueModel();
        var first = (await server.CreateChatAsync("openai", "gpt-4o-mini", title: "one")).GetProperty("id").GetString()!;
        var second = (await server.CreateChatAsync("openai", "gpt-4o-mini", title: "two")).GetProperty("id").GetString()!;
        await server.CompleteAsync(first, "alpha");
        await server.CompleteAsync(second, "beta");

        var merged = await Sse.PostAsync(server.Client, "/api/merge", new { chat_ids = new[] { first, second }, merge_provider = "anthropic", merge_model = model });
        var failed = await Sse.PostAsync(server.Client, "/api/merge",
            new { chat_ids = new[] { first, second }, merge_provider = "anthropic", merge_model = model, instructions = "[[sim:fault=500]]" });

        Assert.Equal("merge_complete", merged.Last?.Type);
        Assert.Equal("error", failed.Last?.Type);
        var merge = new[] { ("gen_ai.provider.name", "anthropic"), ("gen_ai.request.model", model) };
        Assert.Equal(2, server.Sum("chatmerge.merges.started", merge));
        Assert.Equal(1, server.Sum("chatmerge.merges.failed", merge));
        Assert.Equal(1, server.Sum("chatmerge.time_to_first_token", [.. merge, ("chatmerge.operation", "merge")]));
    }

    [Fact]
    public async Task An_open_stream_is_active_until_the_client_goes_away()
    {
        var metrics = server.Services.GetRequiredService<ChatMergeMetrics>();
        var chatId = (await server.CreateChatAsync("anthropic", UniqueModel())).GetProperty("id").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/chats/{chatId}/completions")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { content = "[[sim:fault=stall]] keep me open" }),
        };
        using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var stream = await response.Content.ReadAsStreamAsync();
        Assert.True(await stream.ReadAsync(new byte[1024]) > 0, "the first events should arrive before the stall");

        Assert.Equal(1, metrics.ActiveStreams);

        response.Dispose();
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (metrics.ActiveStreams != 0)
            await Task.Delay(20, patience.Token);
    }

    [Fact]
    public async Task Spans_cover_the_request_the_model_call_and_the_provider_http_without_message_text_or_key()
    {
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        var chatId = (await server.CreateChatAsync("openai", UniqueModel(), systemPrompt: "system-" + marker)).GetProperty("id").GetString()!;

        var result = await server.CompleteAsync(chatId, "Tell me about " + marker);

        Assert.Contains(marker, result.Text("content"));
        var (text, sources) = server.Spans();
        Assert.Contains(Telemetry.AiSourceName, sources);
        Assert.Contains("Microsoft.AspNetCore", sources);
        Assert.Contains("System.Net.Http", sources);
        Assert.Contains($"/api/chats/{{id}}/completions", text);
        Assert.DoesNotContain(marker, text);
        Assert.DoesNotContain("sim-openai-key", text);
    }

    [Fact]
    public async Task Prometheus_endpoint_serves_our_metrics_when_enabled()
    {
        var model = UniqueModel();
        var chatId = (await server.CreateChatAsync("openai", model)).GetProperty("id").GetString()!;
        await server.CompleteAsync(chatId, "Scrape me.");

        var response = await server.Client.GetAsync("/metrics");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"chatmerge_completions_started_total{{otel_scope_name=\"ChatMerge\",gen_ai_provider_name=\"openai\",gen_ai_request_model=\"{model}\"}} 1", body);
        Assert.Contains("chatmerge_time_to_first_token_seconds_bucket", body);
        Assert.Contains("chatmerge_streams_active", body);
    }

    private static string UniqueModel() => "gpt-4o-ops-" + Guid.NewGuid().ToString("N")[..8];
}

public sealed class TracingOffTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public void Without_an_exporter_or_the_switch_no_spans_are_made()
    {
        Assert.Null(server.Services.GetService<TracerProvider>());
        Assert.False(server.Services.GetRequiredService<TelemetrySettings>().Tracing);
    }
}

/// <summary>An OTLP endpoint with tracing switched off: metrics and logs go, spans are not made.</summary>
public sealed class TracingSwitchedOffFixture : ServerFixture
{
    public List<Activity> Activities { get; } = [];

    // Port 1 refuses at once: exports fail quietly, and the exporter is configured all the same.
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [new("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"), new("TELEMETRY_TRACING", "false")];

    protected override void ConfigureServices(IServiceCollection services) =>
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Activities));
}

public sealed class TracingSwitchedOffTests(TracingSwitchedOffFixture server) : IClassFixture<TracingSwitchedOffFixture>
{
    [Fact]
    public async Task Tracing_false_wins_over_an_otlp_endpoint()
    {
        Assert.False(server.Services.GetRequiredService<TelemetrySettings>().Tracing);

        (await server.Client.GetAsync("/api/chats")).EnsureSuccessStatusCode();

        server.Services.GetService<TracerProvider>()?.ForceFlush();
        lock (server.Activities)
            Assert.Empty(server.Activities);
    }
}
