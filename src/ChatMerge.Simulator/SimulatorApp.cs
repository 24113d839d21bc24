using System.Buffers;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ChatMerge.Simulator;

/// <summary>Builds the simulator's web app; both <c>Program</c> and <see cref="SimulatorHost"/> go through here.</summary>
internal static class SimulatorApp
{
    public static WebApplication Create(SimulatorOptions options, string[]? args = null)
    {
        // No watching of appsettings files: with the content root at the working directory, the watch covered
        // that whole tree (a repository, a test output folder) for every simulator started.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false", .. args ?? []] });
        var config = builder.Configuration;
        if (config["port"] is { } port) options.Port = int.Parse(port);
        if (config["keys"] is { } keys) options.ValidKeys.UnionWith(keys.Split(',', StringSplitOptions.RemoveEmptyEntries));
        if (config["max-context-tokens"] is { } max) options.MaxContextTokens = int.Parse(max);
        if (config["stall-seconds"] is { } stall) options.StallDuration = TimeSpan.FromSeconds(double.Parse(stall));

        // Warning by default: a benchmark runs a thousand streams through this and must not drown in logs.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));

        var state = new SimulatorState(options);
        builder.Services.AddSingleton(state);
        var app = builder.Build();

        app.MapPost("/v1/chat/completions", Guard(ctx => OpenAiEndpoints.ChatCompletions(ctx, state)));
        app.MapPost("/v1/responses", Guard(ctx => OpenAiResponses.Create(ctx, state)));
        app.MapPost("/v1/messages", Guard(ctx => AnthropicEndpoints.Messages(ctx, state)));
        // One path, two providers: Anthropic's SDK always sends anthropic-version, OpenAI's never does.
        app.MapGet("/v1/models", Guard(ctx => ctx.Request.Headers.ContainsKey("anthropic-version")
            ? AnthropicEndpoints.Models(ctx, state)
            : OpenAiEndpoints.Models(ctx, state)));
        app.MapGet("/v1beta/models", Guard(ctx => GeminiEndpoints.Models(ctx, state)));
        // "{model}:streamGenerateContent" is one path segment; a catch-all keeps the colon out of route syntax.
        app.MapPost("/v1beta/models/{*rest}", Guard(ctx => GeminiEndpoints.Generate(ctx, state)));
        return app;
    }

    // A client that hangs up mid-stream is normal here (stall, cancel tests); it is not worth a log line.
    static RequestDelegate Guard(Func<HttpContext, Task> handler) => async ctx =>
    {
        try
        {
            await handler(ctx);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && ctx.RequestAborted.IsCancellationRequested)
        {
        }
    };
}

/// <summary>What handlers share: the options and the request log.</summary>
internal sealed class SimulatorState(SimulatorOptions options)
{
    static readonly string[] AuthHeaders = ["authorization", "x-api-key", "x-goog-api-key"];
    readonly List<RecordedRequest> _requests = [];

    public SimulatorOptions Options => options;

    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_requests) return [.. _requests];
    }

    public void Clear()
    {
        lock (_requests) _requests.Clear();
    }

    public bool IsValid(string? key) => key is not null && options.ValidKeys.Contains(key);

    /// <summary>Reads the body, records the request and parses the JSON (null when it is not JSON).</summary>
    public async Task<(string Body, JsonDocument? Json)> Receive(HttpContext ctx, string provider)
    {
        using var reader = new StreamReader(ctx.Request.Body);
        var body = await reader.ReadToEndAsync(ctx.RequestAborted);
        Record(ctx, provider, body);
        try
        {
            return (body, body.Length == 0 ? null : JsonDocument.Parse(body));
        }
        catch (JsonException)
        {
            return (body, null);
        }
    }

    public void Record(HttpContext ctx, string provider, string body)
    {
        if (!options.RecordRequests) return;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in ctx.Request.Headers)
            headers[name] = AuthHeaders.Contains(name.ToLowerInvariant()) ? "REDACTED" : value.ToString();
        var recorded = new RecordedRequest(provider, ctx.Request.Method, ctx.Request.Path.Value ?? "", body, headers);
        lock (_requests) _requests.Add(recorded);
    }
}

internal static class Http
{
    static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes a whole JSON response in one go.</summary>
    public static async Task Json(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, Options)) write(json);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = buffer.WrittenCount;
        await ctx.Response.Body.WriteAsync(buffer.WrittenMemory, ctx.RequestAborted);
    }

    public static string? Bearer(HttpContext ctx)
    {
        var auth = ctx.Request.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
    }

    /// <summary>The text of a content that is either a string or an array of parts with a "text" field.</summary>
    public static string Text(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String) return content.GetString() ?? "";
        if (content.ValueKind != JsonValueKind.Array) return "";
        var parts = new List<string>();
        foreach (var part in content.EnumerateArray())
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String
                && !(part.TryGetProperty("thought", out var th) && th.ValueKind == JsonValueKind.True))
                parts.Add(t.GetString() ?? "");
        return string.Join("\n", parts);
    }

    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool Bool(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    public static int? Int(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.TryGetInt32(out var n) ? n : null;

    public static JsonElement Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    public static bool IsBeforeStream(this Fault f) =>
        f is Fault.Auth or Fault.RateLimit or Fault.Server or Fault.Unavailable or Fault.Overloaded or Fault.ContextLength;

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    static long _ids;
    public static string Id(string prefix) => $"{prefix}{Interlocked.Increment(ref _ids):x8}sim";
}
