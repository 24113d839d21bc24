using System.Net.Http.Json;
using System.Text.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>
/// A completion read event by event while it runs, so that a test can act in the middle of it
/// (kill the server, stop it) and then compare what the client saw with what was stored.
/// </summary>
public sealed class LiveStream
{
    private readonly List<SseEvent> _events = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public required string ChatId { get; init; }
    public required string Content { get; init; }
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>True once the response headers came: the user's message was stored before them.</summary>
    public bool Accepted { get; private set; }

    public List<SseEvent> Events
    {
        get { lock (_events) return [.. _events]; }
    }

    public string Seen(string type) => string.Concat(Events.Where(e => e.Type == type).Select(e => e.Data));

    public static LiveStream Start(HttpClient client, string chatId, string content, int contentEventsBeforeStarted = 3)
    {
        var stream = new LiveStream { ChatId = chatId, Content = content };
        stream.Completion = stream.RunAsync(client, contentEventsBeforeStarted);
        return stream;
    }

    /// <summary>Completes when the given number of content events has arrived (or the stream ended).</summary>
    public Task Started => _started.Task;

    private async Task RunAsync(HttpClient client, int threshold)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/chats/{ChatId}/completions") { Content = JsonContent.Create(new { content = Content }) };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Accepted = response.IsSuccessStatusCode;
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var contentEvents = 0;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                    continue;
                var json = JsonSerializer.Deserialize<JsonElement>(line["data: ".Length..]);
                var item = new SseEvent(json.GetProperty("type").GetString()!, json.GetProperty("data").GetString()!);
                lock (_events)
                    _events.Add(item);
                if (item.Type == "content" && ++contentEvents >= threshold)
                    _started.TrySetResult();
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The server went away mid-stream: what arrived so far is what the client saw.
        }
        finally
        {
            _started.TrySetResult();
        }
    }
}
