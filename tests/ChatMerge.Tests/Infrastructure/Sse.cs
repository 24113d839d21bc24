using System.Net.Http.Json;
using System.Text.Json;

namespace ChatMerge.Tests.Infrastructure;

public sealed record SseEvent(string Type, string Data);

public sealed record SseResult(int Status, string ContentType, List<SseEvent> Events, string Body)
{
    public string Text(string type) => string.Concat(Events.Where(e => e.Type == type).Select(e => e.Data));
    public SseEvent? Last => Events.Count == 0 ? null : Events[^1];
}

/// <summary>Reads a stream the way the original web client does: only lines starting with "data: ".</summary>
public static class Sse
{
    public static async Task<SseResult> PostAsync(HttpClient client, string path, object body, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var events = new List<SseEvent>();
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
                continue;
            var json = JsonSerializer.Deserialize<JsonElement>(line["data: ".Length..]);
            events.Add(new SseEvent(json.GetProperty("type").GetString()!, json.GetProperty("data").GetString()!));
        }
        return new SseResult((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", events, text);
    }

    public static Task<SseResult> CompleteAsync(this ServerFixture server, string chatId, string content, CancellationToken cancellationToken = default) =>
        PostAsync(server.Client, $"/api/chats/{chatId}/completions", new { content }, cancellationToken);
}
