using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ChatMerge.Providers.Gemini;

internal static class GeminiHttp
{
    // The key goes in a header, never the query string, so it stays out of URLs that
    // HttpClient logging, proxies and exception messages print.
    public static async Task<HttpResponseMessage> SendAsync(
        HttpClient http, HttpRequestMessage request, string apiKey, CancellationToken ct)
    {
        request.Headers.Add("x-goog-api-key", apiKey);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
            throw await GeminiException.FromResponseAsync(response, apiKey, ct);
    }

    public static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        try
        {
            return await JsonSerializer.DeserializeAsync(stream, type, ct)
                ?? throw new GeminiException("Gemini sent an empty response body.");
        }
        catch (JsonException e)
        {
            throw new GeminiException("Gemini sent a malformed response body.", e);
        }
    }

    public static T ParseJson<T>(string json, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type)
                ?? throw new GeminiException("Gemini sent an empty stream event.");
        }
        catch (JsonException e)
        {
            throw new GeminiException("Gemini sent a malformed stream event.", e);
        }
    }
}
