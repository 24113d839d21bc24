namespace ChatMerge.Providers;

internal static class ProviderNames
{
    public const string OpenAI = "openai";
    public const string Anthropic = "anthropic";
    public const string Gemini = "gemini";

    public const string AllowedMessage = "provider must be one of: openai, anthropic, gemini.";

    public static readonly string[] All = [OpenAI, Anthropic, Gemini];

    public static bool IsKnown(string? provider) => provider is OpenAI or Anthropic or Gemini;

    public static string Unknown(string? provider) =>
        $"Unknown provider '{provider}'. Use one of: {string.Join(", ", All)}.";
}
