using System.Text.RegularExpressions;

namespace ChatMerge.Providers;

/// <summary>
/// Providers echo keys in their error messages ("Incorrect API key provided: sk-ab…cd"):
/// every text that leaves the server from a provider goes through <see cref="Scrub"/>.
/// </summary>
internal static partial class Secrets
{
    public static string Scrub(string? text, string? apiKey = null)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        if (!string.IsNullOrEmpty(apiKey) && apiKey.Length >= 4)
            text = text.Replace(apiKey, "[redacted]", StringComparison.Ordinal);
        text = EchoedKey().Replace(text, "$1[redacted]");
        return KeyShaped().Replace(text, "[redacted]");
    }

    // "API key provided: X", "api_key: X", "key=X", "\"api_key\": \"X\"", "Bearer X"
    [GeneratedRegex(@"(\b(?:api[ _-]?key(?: provided)?|key|bearer)(?:[""']?\s*[:=]\s*[""']?|\s+))[^\s,;""']{4,}", RegexOptions.IgnoreCase)]
    private static partial Regex EchoedKey();

    // The shapes of OpenAI, Anthropic and Google keys, whole or elided.
    [GeneratedRegex(@"\b(?:sk-[A-Za-z0-9_\-\*\.…]{3,}|AIza[0-9A-Za-z_\-]{8,})")]
    private static partial Regex KeyShaped();
}
