using Microsoft.ML.Tokenizers;

namespace ChatMerge.Merge;

/// <summary>
/// Token counts for sizing merge prompts. OpenAI's o200k_base vocabulary is public, so OpenAI
/// counts are exact; Anthropic and Google publish no tokenizer, so their counts are the o200k
/// count scaled up by a margin. Erring high costs an extra merge pass; erring low costs a
/// context-length error from the provider, so the margins lean high.
/// </summary>
internal sealed class TokenCounter
{
    // Claude's tokenizer splits English and code into noticeably more pieces than o200k;
    // measurements people publish land around 10-25% more, so we take the top of that range.
    internal const int AnthropicPercent = 125;

    // Gemini's SentencePiece vocabulary is closer to o200k on English and code, yet not equal.
    internal const int GeminiPercent = 115;

    /// <summary>Role markers and separators the provider adds around each message.</summary>
    internal const int MessageOverhead = 4;

    private static readonly Lazy<TokenCounter> shared =
        new(() => new TokenCounter(TiktokenTokenizer.CreateForEncoding("o200k_base")), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Tokenizer tokenizer;

    private TokenCounter(Tokenizer tokenizer) => this.tokenizer = tokenizer;

    /// <summary>Loading the vocabulary takes a moment, so the process shares one instance; it is thread-safe.</summary>
    public static TokenCounter Shared => shared.Value;

    public int Count(string provider, string? text)
    {
        if (string.IsNullOrEmpty(text)) return 0;
        var exact = (long)tokenizer.CountTokens(text);
        var percent = PercentFor(provider);
        // Integer arithmetic: 20 * 1.15 in floating point rounds up to 24.
        return (int)((exact * percent + 99) / 100);
    }

    public int CountMessage(string provider, string? content, string? reasoning = null) =>
        MessageOverhead + Count(provider, content) + Count(provider, reasoning);

    // An unknown provider gets the widest margin rather than an exception: a count is an estimate anyway.
    private static int PercentFor(string? provider) => provider?.ToLowerInvariant() switch
    {
        "openai" => 100,
        "gemini" or "google" => GeminiPercent,
        _ => AnthropicPercent,
    };
}
