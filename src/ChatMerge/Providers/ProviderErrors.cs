using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;

namespace ChatMerge.Providers;

/// <summary>An answer that ended without the provider saying it was finished.</summary>
internal sealed class IncompleteStreamException(string message) : Exception(message);

/// <summary>The provider sent nothing for longer than the idle timeout.</summary>
internal sealed class StreamStalledException(TimeSpan idle) : Exception($"no data for {idle.TotalSeconds:0} s")
{
    public TimeSpan Idle { get; } = idle;
}

/// <summary>Turns what the SDKs throw into one clear sentence for the user: no stack trace, never a key.</summary>
internal static class ProviderErrors
{
    public static string Describe(string provider, Exception exception, string? apiKey, string baseUrl)
    {
        var name = DisplayName(provider);
        // Only what the provider wrote is scrubbed: our own sentences mention "the key stored" and must stay readable.
        string Theirs(string? text) => Secrets.Scrub(text, apiKey);
        var message = exception switch
        {
            // Status 0: no response at all; the transport error inside says why.
            ClientResultException { Status: 0, InnerException: { } transport } => Describe(provider, transport, apiKey, baseUrl),
            ClientResultException openai => Status(name, openai.Status, Theirs(OpenAIMessage(openai)), RetryAfter(openai)),
            AnthropicApiException anthropic => Status(name, (int)anthropic.StatusCode, Theirs(anthropic.ApiMessage ?? anthropic.Message)),
            AnthropicSseException sse => $"{name} reported an error mid-answer: {(sse.ApiMessage is { } m ? Theirs(m) : "stream error")}.",
            AnthropicInvalidDataException => $"{name} sent a malformed stream.",
            GeminiException { IsAuthError: true } => $"{name} rejected the API key. Check that the key is right and still active.",
            GeminiException { StatusCode: { } status } gemini => Status(name, status, Theirs(gemini.Message), gemini.RetryAfter),
            GeminiException gemini => $"{name} stream failed: {Theirs(gemini.Message)}",
            StreamStalledException stalled => $"{name} stopped sending for {stalled.Idle.TotalSeconds:0} s; the answer was given up.",
            IncompleteStreamException => $"{name} ended the answer before it was finished.",
            JsonException => $"{name} sent a malformed stream.",
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } =>
                $"Cannot reach {name} at {baseUrl}.",
            System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused or System.Net.Sockets.SocketError.HostNotFound } =>
                $"Cannot reach {name} at {baseUrl}.",
            IOException or HttpRequestException => $"The connection to {name} was lost.",
            // SDK retry loops and transport wrappers (AggregateException, AnthropicIOException) carry the real cause inside.
            AggregateException { InnerExceptions.Count: > 0 } many => Describe(provider, many.InnerExceptions[^1], apiKey, baseUrl),
            { InnerException: { } inner } => Describe(provider, inner, apiKey, baseUrl),
            _ => $"{name} request failed ({exception.GetType().Name}).",
        };
        // The exact key never leaves, whatever carried it.
        return string.IsNullOrEmpty(apiKey) || apiKey.Length < 4 ? message : message.Replace(apiKey, "[redacted]", StringComparison.Ordinal);
    }

    /// <summary>
    /// Why an answer that ended without a fault is still not a whole one, in one sentence; null when it is one.
    /// <paramref name="maxTokens"/> is the answer's limit as the user set it (thinking budgets come on top).
    /// </summary>
    public static string? Unfinished(string provider, ChatFinishReason? reason, AdditionalPropertiesDictionary? details, bool hasText, int maxTokens)
    {
        var name = DisplayName(provider);
        string? Detail(string key) => details?.TryGetValue(key, out var value) == true ? value?.ToString() : null;
        if (Detail(GeminiResponseMapper.BlockReasonKey) is { } blocked)
            return $"{name} blocked the prompt: {blocked}.";
        if (reason == ChatFinishReason.Length)
            return hasText
                ? $"The answer reached max_tokens ({maxTokens}) and was cut off."
                : $"The model reached max_tokens ({maxTokens}) before it started to answer.";
        if (reason == ChatFinishReason.ContentFilter)
            return Detail(GeminiResponseMapper.FinishReasonKey) is { } filter
                ? $"{name} stopped the answer: {filter}."
                : $"{name} stopped the answer with its content filter.";
        if (reason != ChatFinishReason.Stop)
            return $"{name} stopped the answer early ({Detail(GeminiResponseMapper.FinishReasonKey) ?? reason?.Value ?? "no reason given"}).";
        return hasText ? null : $"{name} sent an empty answer.";
    }

    private static string Status(string name, int status, string? providerMessage, TimeSpan? wait = null) => status switch
    {
        401 or 403 => $"{name} rejected the API key ({status}). Check that the key is right and still active.",
        429 when wait > TimeSpan.Zero => $"{name} rate limit or quota reached (429). Try again in {Math.Ceiling(wait.Value.TotalSeconds):0} s.",
        429 => $"{name} rate limit or quota reached (429). Try again later.",
        529 => $"{name} is overloaded (529). Try again later.",
        >= 500 => $"{name} is unavailable ({status}). Try again later.",
        _ => $"{name} refused the request ({status}): {OneLine(providerMessage)}",
    };

    /// <summary>The wait an OpenAI error response asks for (retry-after-ms, else retry-after in seconds).</summary>
    private static TimeSpan? RetryAfter(ClientResultException exception)
    {
        var headers = exception.GetRawResponse()?.Headers;
        if (headers?.TryGetValue("retry-after-ms", out var ms) == true && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds))
            return TimeSpan.FromMilliseconds(milliseconds);
        return headers?.TryGetValue("retry-after", out var s) == true && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;
    }

    private static string OneLine(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "no details" : string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>
    /// The sentence OpenAI wrote ("This model's maximum context length is ..."): the SDK's message starts
    /// with its own "HTTP 400 (invalid_request_error: context_length_exceeded)" and has the sentence lines later.
    /// </summary>
    private static string OpenAIMessage(ClientResultException exception)
    {
        try
        {
            using var body = JsonDocument.Parse(exception.GetRawResponse()?.Content.ToMemory() ?? default);
            if (body.RootElement.GetProperty("error").GetProperty("message").GetString() is { Length: > 0 } message)
                return message;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Not OpenAI's error shape (a proxy's page, an empty body): the SDK's text says what there is.
        }
        return exception.Message;
    }

    public static string DisplayName(string provider) => provider switch
    {
        ProviderNames.OpenAI => "OpenAI",
        ProviderNames.Anthropic => "Anthropic",
        ProviderNames.Gemini => "Gemini",
        _ => provider,
    };
}
