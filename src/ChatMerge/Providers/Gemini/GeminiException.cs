using System.Globalization;
using System.Text.Json;

namespace ChatMerge.Providers.Gemini;

/// <summary>A failed Gemini call: an HTTP error, an error event mid-stream, or a broken stream.</summary>
internal sealed class GeminiException(string message, Exception? inner = null) : Exception(message, inner)
{
    public int? StatusCode { get; init; }

    /// <summary>The google.rpc status name, e.g. INVALID_ARGUMENT or RESOURCE_EXHAUSTED.</summary>
    public string? Status { get; init; }

    /// <summary>The ErrorInfo reason, e.g. API_KEY_INVALID.</summary>
    public string? Reason { get; init; }

    public TimeSpan? RetryAfter { get; init; }

    // Gemini answers a bad key with 400 API_KEY_INVALID rather than 401.
    public bool IsAuthError => StatusCode is 401 or 403 || Reason == "API_KEY_INVALID";

    internal static async Task<GeminiException> FromResponseAsync(HttpResponseMessage response, string apiKey, CancellationToken ct)
    {
        var code = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(ct);
        var retryAfter = LongRetryWaits.RetryAfter(response);
        GeminiError? error = null;
        try
        {
            error = JsonSerializer.Deserialize(body, GeminiJsonContext.Default.GeminiErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            // Proxies and load balancers answer with HTML or plain text; the status code is all we trust.
        }
        return error is null
            ? new($"Gemini returned HTTP {code} without an error body.") { StatusCode = code, RetryAfter = retryAfter }
            : FromError(error, code, retryAfter, apiKey);
    }

    /// <summary>The wait a failed response asks for: its RetryInfo detail, else its Retry-After header.</summary>
    internal static async Task<TimeSpan?> RetryAfterAsync(HttpResponseMessage response, CancellationToken ct) =>
        (await FromResponseAsync(response, apiKey: "", ct)).RetryAfter;

    internal static GeminiException FromError(GeminiError error, int? httpStatus, TimeSpan? retryAfter, string apiKey)
    {
        var code = error.Code ?? httpStatus;
        var message = $"Gemini error {code} {error.Status}: {error.Message}";
        return new(Scrub(message, apiKey))
        {
            StatusCode = code,
            Status = error.Status,
            Reason = error.Details?.Select(d => d.Reason).FirstOrDefault(r => r is not null),
            RetryAfter = error.Details?.Select(d => ParseDuration(d.RetryDelay)).FirstOrDefault(d => d is not null) ?? retryAfter,
        };
    }

    // Exception messages end up in logs and in the UI; a provider that echoes the key must not leak it.
    static string Scrub(string message, string apiKey) =>
        string.IsNullOrEmpty(apiKey) ? message : message.Replace(apiKey, "[redacted]", StringComparison.Ordinal);

    // google.protobuf.Duration in JSON is seconds with an "s" suffix: "15s", "0.5s".
    static TimeSpan? ParseDuration(string? value) =>
        value is [.. var number, 's'] && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
