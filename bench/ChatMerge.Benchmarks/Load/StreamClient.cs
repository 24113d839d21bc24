using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ChatMerge.Benchmarks.Load;

/// <summary>One stream as the driver saw it. Times are from just before the request was sent.</summary>
internal readonly record struct StreamSample(double FirstTokenMs, double TotalMs, int Tokens, string? Error)
{
    public bool Ok => Error is null;
}

/// <summary>
/// Reads a stream line by line as it arrives, the way the web client does, and notes when the first
/// piece of answer text came. Relay: the first <c>content</c> event of ChatMerge. Direct: the first
/// non-empty content delta of the simulator's own OpenAI stream.
/// </summary>
internal static class StreamClient
{
    public const string Model = "gpt-4o-mini";
    public const string SimulatorKey = "sim-openai-key";

    public static async Task<StreamSample> RelayAsync(HttpClient http, Uri server, Guid chatId, string content, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(new { content });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, $"/api/chats/{chatId}/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        return await ReadAsync(http, request, IsRelayToken, line => line.Contains("\"type\":\"done\"", StringComparison.Ordinal),
            line => line.Contains("\"type\":\"error\"", StringComparison.Ordinal), ct);
    }

    public static async Task<StreamSample> DirectAsync(HttpClient http, Uri simulator, string content, CancellationToken ct)
    {
        using var request = DirectRequest(simulator, content);
        return await ReadAsync(http, request, IsDirectToken, line => line == "data: [DONE]",
            line => line.Contains("\"error\":", StringComparison.Ordinal), ct);
    }

    /// <summary>The request the server's OpenAI SDK sends for a new chat with one user message.</summary>
    public static HttpRequestMessage DirectRequest(Uri simulator, string content)
    {
        var body = JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content } },
            model = Model,
            max_completion_tokens = 8192,
            stream = true,
            stream_options = new { include_usage = true },
        });
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(simulator, "/v1/chat/completions"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SimulatorKey);
        return request;
    }

    private static async Task<StreamSample> ReadAsync(
        HttpClient http, HttpRequestMessage request, Func<string, bool> isToken, Func<string, bool> isEnd, Func<string, bool> isError,
        CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        double first = -1;
        var tokens = 0;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
                return new StreamSample(-1, Elapsed(start), 0, $"HTTP {(int)response.StatusCode}");
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                    continue;
                if (isToken(line))
                {
                    if (tokens++ == 0)
                        first = Elapsed(start);
                    continue;
                }
                if (isError(line))
                    return new StreamSample(first, Elapsed(start), tokens, "error event");
                if (isEnd(line))
                    return new StreamSample(first, Elapsed(start), tokens, tokens == 0 ? "no tokens" : null);
            }
            return new StreamSample(first, Elapsed(start), tokens, "stream ended without its final event");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return new StreamSample(first, Elapsed(start), tokens, e.GetType().Name);
        }
    }

    private static bool IsRelayToken(string line) => line.Contains("\"type\":\"content\"", StringComparison.Ordinal);

    // The first chunk carries the role with "content":"" and the last an empty delta; only text counts.
    private static bool IsDirectToken(string line)
    {
        var at = line.IndexOf("\"content\":\"", StringComparison.Ordinal);
        return at >= 0 && at + 11 < line.Length && line[at + 11] != '"';
    }

    private static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
