using System.Collections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ChatMerge.Data;

namespace ChatMerge.Hosting;

/// <summary>
/// Console logs as text (default) or one JSON object per line (<c>LOG_FORMAT=json</c>), with scopes:
/// the request id from ASP.NET Core, the trace ids, and the chat id of /api/chats/{id} requests.
/// <c>LOG_LEVEL</c> (also the original's DEBUG/INFO/WARNING/ERROR/CRITICAL) sets the default level;
/// <c>Logging__LogLevel__Default</c> and per-category levels work as usual.
/// </summary>
internal static partial class Logs
{
    public static WebApplicationBuilder AddLogs(this WebApplicationBuilder builder)
    {
        if (builder.Configuration["LOG_LEVEL"] is { Length: > 0 } level)
            builder.Configuration["Logging:LogLevel:Default"] = ParseLevel(level).ToString();

        var format = builder.Configuration["LOG_FORMAT"]?.Trim().ToLowerInvariant();
        switch (format)
        {
            case null or "" or "text":
                break;
            case "json":
                builder.Logging.AddJsonConsole(options =>
                {
                    options.IncludeScopes = true;
                    options.UseUtcTimestamp = true;
                    options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                });
                break;
            default:
                throw new SettingsException($"LOG_FORMAT must be 'text' or 'json', not '{format}'.");
        }
        builder.Services.AddHostedService<Lifecycle>();
        return builder;
    }

    public static LogLevel ParseLevel(string value) => value.Trim().ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "INFO" or "INFORMATION" => LogLevel.Information,
        "WARN" or "WARNING" => LogLevel.Warning,
        "ERROR" => LogLevel.Error,
        "CRITICAL" or "FATAL" => LogLevel.Critical,
        "NONE" => LogLevel.None,
        _ => throw new SettingsException($"LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARNING, ERROR, CRITICAL, NONE; not '{value}'."),
    };

    /// <summary>Puts the chat id of /api/chats/{id}/... requests in the scope of every log line they write, streams included.</summary>
    public static WebApplication UseChatLogScope(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ChatMerge.Requests");
        app.Use(async (context, next) =>
        {
            if (ChatIdOf(context.Request.Path) is not { } chatId)
            {
                await next(context);
                return;
            }
            using (logger.BeginScope(new ChatScope(chatId)))
                await next(context);
        });
        return app;
    }

    /// <summary>Only a well-formed id: the scope must not carry arbitrary client text.</summary>
    internal static Guid? ChatIdOf(PathString path)
    {
        if (!path.StartsWithSegments("/api/chats", out var rest) || !rest.HasValue)
            return null;
        var segment = rest.Value!.TrimStart('/').Split('/', 2)[0];
        return Guid.TryParse(segment, out var id) ? id : null;
    }

    private sealed class ChatScope(Guid chatId) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?> _item = new("ChatId", chatId);
        public int Count => 1;
        public KeyValuePair<string, object?> this[int index] => index == 0 ? _item : throw new ArgumentOutOfRangeException(nameof(index));
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() { yield return _item; }
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => $"ChatId:{chatId}";
    }

    /// <summary>Start-up and shutdown in the log: where the server listens and which database it uses (never a password).</summary>
    private sealed partial class Lifecycle(
        IHostApplicationLifetime lifetime, IServer server, DatabaseSettings database, IHostEnvironment environment,
        ChatMergeMetrics metrics, ILogger<Lifecycle> logger, TlsCertificate? tls = null) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() =>
            {
                var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
                LogStarted(logger, string.Join(", ", addresses), database.Description, environment.EnvironmentName);
                if (tls is not null)
                    LogCertificate(logger, tls.Certificate.Subject, tls.Certificate.NotAfter.ToUniversalTime());
            });
            lifetime.ApplicationStopping.Register(() => LogStopping(logger, metrics.ActiveStreams));
            lifetime.ApplicationStopped.Register(() => LogStopped(logger));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "ChatMerge listening on {Addresses} with {Database} ({Environment})")]
        private static partial void LogStarted(ILogger logger, string addresses, string database, string environment);

        [LoggerMessage(Level = LogLevel.Information, Message = "HTTPS certificate {Subject}, valid until {NotAfter:u}")]
        private static partial void LogCertificate(ILogger logger, string subject, DateTime notAfter);

        [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: {ActiveStreams} open streams are told to stop and keep their partial answers")]
        private static partial void LogStopping(ILogger logger, long activeStreams);

        [LoggerMessage(Level = LogLevel.Information, Message = "ChatMerge stopped")]
        private static partial void LogStopped(ILogger logger);
    }
}
