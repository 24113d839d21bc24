namespace ChatMerge.Providers.Gemini;

/// <summary>Per-client thinking defaults; <c>ChatOptions.Reasoning</c> on a request wins over these.</summary>
internal sealed record GeminiChatClientOptions
{
    /// <summary>Ask for thought summaries even when the request sets no <c>ChatOptions.Reasoning</c>.</summary>
    public bool IncludeThoughts { get; init; }

    /// <summary>Token budget for Gemini 2.x models; null leaves the model's dynamic default.</summary>
    public int? ThinkingBudget { get; init; }

    /// <summary>"low" or "high" for Gemini 3 models, which reject a budget; null leaves the default.</summary>
    public string? ThinkingLevel { get; init; }
}
