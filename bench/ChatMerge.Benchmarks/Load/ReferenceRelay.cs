using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using ChatMerge.Completions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChatMerge.Benchmarks.Load;

/// <summary>
/// The least a relay can do, run beside ChatMerge as a yardstick for the machine: the same endpoint and
/// events, the same request to the simulator, Kestrel and HttpClient, the framework's SSE parser and
/// writer, one JSON parse per chunk, and nothing else: no database, no provider SDK, no
/// Microsoft.Extensions.AI, no middleware. What ChatMerge adds beyond it is the cost of its own work.
/// </summary>
internal static class ReferenceRelay
{
    public static WebApplication Create(int port, Uri simulator)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        app.MapPost("/api/chats/{chatId:guid}/completions", (Guid chatId, CompletionRequest request, CancellationToken ct) =>
            TypedResults.ServerSentEvents(RelayAsync(http, simulator, chatId, request.Content, ct)));
        return app;
    }

    private static async IAsyncEnumerable<SseItem<StreamEvent>> RelayAsync(
        HttpClient http, Uri simulator, Guid chatId, string content, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = StreamClient.DirectRequest(simulator, content);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await foreach (var item in SseParser.Create(body).EnumerateAsync(ct))
        {
            if (item.Data == "[DONE]")
                break;
            if (DeltaText(item.Data) is { Length: > 0 } text)
                yield return StreamEvent.Of(StreamEvent.Content, text);
        }
        yield return StreamEvent.Of(StreamEvent.Done, chatId.ToString());
    }

    // choices[0].delta.content of an OpenAI chat-completions chunk, if any.
    internal static string? DeltaText(string chunk)
    {
        using var json = JsonDocument.Parse(chunk);
        return json.RootElement.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0 &&
               choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var text) &&
               text.ValueKind == JsonValueKind.String
            ? text.GetString()
            : null;
    }
}
