namespace ChatMerge.Providers;

/// <summary>Settings of one provider, bound from <c>Providers:OpenAI</c>, <c>Providers:Anthropic</c>, <c>Providers:Gemini</c>.</summary>
internal sealed class ProviderSettings
{
    /// <summary>Root URL of the API (OpenAI's with or without <c>/v1</c>); also how ChatMerge is pointed at an OpenAI-compatible server.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>The curated list shown by <c>GET /api/models</c>.</summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Model id prefixes that think: reasoning is asked for and streamed for these.</summary>
    public List<string> ReasoningModels { get; set; } = [];

    /// <summary>Context window (tokens) per model id prefix, used to size merges; the longest matching prefix wins.</summary>
    public Dictionary<string, int> ContextWindows { get; set; } = [];

    public int DefaultContextWindow { get; set; } = 32_000;

    /// <summary>Output tokens asked for when a request does not say.</summary>
    public int MaxOutputTokens { get; set; } = 8192;

    /// <summary>Thinking budget (tokens) for Claude's extended thinking and Gemini's thoughts.</summary>
    public int ThinkingBudget { get; set; } = 4096;

    public bool IsReasoningModel(string model) =>
        ReasoningModels.Any(prefix => model.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    public int ContextWindow(string model) =>
        ContextWindows.Where(w => model.StartsWith(w.Key, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(w => w.Key.Length)
            .Select(w => w.Value)
            .DefaultIfEmpty(DefaultContextWindow)
            .First();
}

internal sealed class ProvidersOptions
{
    public const string Section = "Providers";

    public ProviderSettings OpenAI { get; set; } = new() { BaseUrl = "https://api.openai.com" };
    public ProviderSettings Anthropic { get; set; } = new() { BaseUrl = "https://api.anthropic.com" };
    public ProviderSettings Gemini { get; set; } = new() { BaseUrl = "https://generativelanguage.googleapis.com" };

    /// <summary>Longest wait for the next piece of a stream before the answer is given up as stalled.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How often a silent event stream gets a comment line (<c>: keep-alive</c>), so that proxies and clients
    /// with read timeouts keep it open while a model thinks; zero turns the comments off.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Retries of a failed request before its first token (429, 5xx), done by each SDK; never after text has arrived.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Longest wait for a provider to start answering.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a live model list from a provider is reused.</summary>
    public TimeSpan ModelListCacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    public ProviderSettings For(string provider) => provider switch
    {
        ProviderNames.OpenAI => OpenAI,
        ProviderNames.Anthropic => Anthropic,
        ProviderNames.Gemini => Gemini,
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, ProviderNames.Unknown(provider)),
    };
}
