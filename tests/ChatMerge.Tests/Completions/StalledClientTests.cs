using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using ChatMerge.Hosting;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatMerge.Tests.Completions;

/// <summary>The simulated server, its log lines kept for the test to read.</summary>
public sealed class LoggedServerFixture : SimulatedServerFixture
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Logs { get; } = new();

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<ILoggerProvider>(new Collector(Logs));

    private sealed class Collector(ConcurrentQueue<(string, LogLevel, string)> into) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, into);

        public void Dispose() { }
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> into) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                into.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}

/// <summary>
/// A client that stops reading its events for longer than the idle timeout is disconnected. The provider
/// kept sending all along: the log and the metrics must say that the client stalled, not the provider.
/// </summary>
public sealed class StalledClientTests(LoggedServerFixture server) : IClassFixture<LoggedServerFixture>
{
    [Fact]
    public async Task A_client_that_stops_reading_is_logged_and_counted_as_such_and_the_provider_is_not_blamed()
    {
        // A model name of this test's own: the meter is process-wide.
        var model = "gpt-4o-mini-" + Guid.NewGuid().ToString("N")[..8];
        var failures = new ConcurrentQueue<string?>();
        var stalled = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ChatMergeMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var ours = false;
            string? error = null, operation = null;
            foreach (var tag in tags)
            {
                ours |= tag.Key == "gen_ai.request.model" && Equals(tag.Value, model);
                if (tag.Key == "error.type")
                    error = tag.Value?.ToString();
                if (tag.Key == "chatmerge.operation")
                    operation = tag.Value?.ToString();
            }
            if (instrument.Name == "chatmerge.completions.failed" && ours)
                failures.Enqueue(error);
            if (instrument.Name == "chatmerge.streams.client_stalled" && operation == ChatMergeMetrics.Completion)
                Interlocked.Add(ref stalled, value);
        });
        listener.Start();

        var chatId = (await server.CreateChatAsync(model: model)).GetProperty("id").GetString()!;
        using var socket = await server.StartUnreadCompletionAsync(chatId);
        // The test never reads the answer: the server's writes fill both sockets' buffers and stay pending.

        await Eventually.GetAsync(async () =>
        {
            var list = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
            return list.GetArrayLength() == 2 ? list : (JsonElement?)null;
        }, TimeSpan.FromSeconds(30));
        listener.RecordObservableInstruments();

        var logs = server.Logs.ToList();
        Assert.DoesNotContain(logs, l => l.Message.Contains(chatId, StringComparison.Ordinal) && l.Message.Contains("failed", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Level == LogLevel.Warning && l.Message.Contains("stopped reading", StringComparison.Ordinal)
                                   && l.Message.Contains($"/api/chats/{chatId}/completions", StringComparison.Ordinal));
        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref stalled) >= 1, "the stalled client was not counted");
    }
}
