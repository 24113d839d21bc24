using System.ClientModel;
using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using ChatMerge.Providers.Gemini;

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
        var message = exception switch
        {
            ClientResultException openai => Status(name, openai.Status, openai.Message),
            AnthropicApiException anthropic => Status(name, (int)anthropic.StatusCode, anthropic.ApiMessage ?? anthropic.Message),
            AnthropicSseException sse => $"{name} reported an error mid-answer: {sse.ApiMessage ?? "stream error"}.",
            AnthropicInvalidDataException => $"{name} sent a malformed stream.",
            GeminiException { IsAuthError: true } => $"{name} rejected the API key. Check the key stored for {provider}.",
            GeminiException { StatusCode: { } status } gemini => Status(name, status, gemini.Message),
            GeminiException gemini => $"{name} stream failed: {gemini.Message}",
            StreamStalledException stalled => $"{name} stopped sending for {stalled.Idle.TotalSeconds:0} s; the answer was given up.",
            IncompleteStreamException => $"{name} ended the answer before it was finished.",
            JsonException => $"{name} sent a malformed stream.",
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError } =>
                $"Cannot reach {name} at {baseUrl}.",
            IOException or HttpRequestException => $"The connection to {name} was lost.",
            _ => $"{name} request failed ({exception.GetType().Name}).",
        };
        return Secrets.Scrub(message, apiKey);
    }

    private static string Status(string name, int status, string? providerMessage) => status switch
    {
        401 or 403 => $"{name} rejected the API key ({status}). Check the key stored for this provider.",
        429 => $"{name} rate limit or quota reached (429). Try again later.",
        529 => $"{name} is overloaded (529). Try again later.",
        >= 500 => $"{name} is unavailable ({status}). Try again later.",
        _ => $"{name} refused the request ({status}): {FirstLine(providerMessage)}",
    };

    private static string FirstLine(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "no details" : text.Split('\n', 2)[0].Trim();

    public static string DisplayName(string provider) => provider switch
    {
        ProviderNames.OpenAI => "OpenAI",
        ProviderNames.Anthropic => "Anthropic",
        ProviderNames.Gemini => "Gemini",
        _ => provider,
    };
}
