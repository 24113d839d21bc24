using ChatMerge.Chats;
using ChatMerge.Completions;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Keys;
using ChatMerge.Merge;
using ChatMerge.Models;
using ChatMerge.Providers;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

DotEnv.Load(".env");
try
{
    // appsettings.json comes with the binaries; data files and .env belong to the working directory.
    // The slim builder leaves out what this server does not use (IIS, HTTP/3, hosting startup
    // assemblies, regex route constraints) and with it ~2 MB; HTTPS from configuration is added back.
    var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.WebHost.UseKestrelHttpsConfiguration();

    // Hosting: addresses, JSON, errors, validation, OpenAPI, CORS
    builder.AddServerUrls();
    // Operations: TLS, logs, telemetry, health
    builder.AddTls();
    builder.AddLogs();
    builder.AddTelemetry();
    builder.AddHealth();
    builder.AddApiDefaults();

    // Security: protected mode or API tokens, trusted proxies, per-client rate limits
    builder.AddAccessControl();
    builder.AddRateLimits();

    // Features
    builder.AddData();
    builder.AddKeys();
    builder.AddProviders();
    builder.Services.AddSingleton<CompletionStreamer>();
    builder.Services.AddSingleton<MergeStreamer>();
    builder.Services.AddMemoryCache();
    builder.Services.AddScoped<ModelCatalog>();

    var app = builder.Build();
    // Settings checked by options validation fail here, in one line, rather than inside the host's start;
    // so do values the binder cannot convert (Providers__StreamIdleTimeout=abc): its message names the key.
    try
    {
        _ = app.Services.GetRequiredService<IOptions<ProvidersOptions>>().Value;
    }
    catch (InvalidOperationException e) when (e.InnerException is not null)
    {
        throw new SettingsException(e.Message, e);
    }
    try
    {
        await app.Services.MigrateDatabaseAsync();
    }
    catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException
                              || e.InnerException is System.Data.Common.DbException)
    {
        // Down, unreachable, a wrong password, no right to create the database or its SQLite directory: the operator's
        // to fix, in one line, written at once (the console logger writes on a thread of its own, which exit may cut).
        throw new SettingsException($"Cannot open the database of DATABASE_URL: {DataExtensions.Describe(e)}", e);
    }

    app.UseTls();
    app.UseChatLogScope();
    app.UseApiDefaults();

    app.MapHealth();
    app.MapMetrics();
    app.MapChats();
    app.MapApiKeys();
    app.MapModels();
    app.MapCompletions();
    app.MapMerge();

    app.MapApiDocument();

    await app.RunAsync();
    return 0;
}
catch (Exception e) when (StartFailure(e) is { } reason)
{
    // A setting that cannot work or a port that is taken: the operator's to fix, in one line.
    Console.Error.WriteLine($"ChatMerge cannot start: {reason}");
    return 1;
}

static string? StartFailure(Exception e) => e switch
{
    SettingsException or OptionsValidationException => e.Message,
    IOException { InnerException: AddressInUseException } => $"{e.Message} Set SERVER_PORT (or SERVER_HOST) to a free address.",
    _ => null,
};

public partial class Program;
