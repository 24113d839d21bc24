using Microsoft.Extensions.AI;

namespace ChatMerge.Providers.Gemini;

internal static class GeminiRequestMapper
{
    internal const string ThoughtSignatureKey = "thoughtSignature";

    public static GeminiRequest ToRequest(
        string model, IEnumerable<ChatMessage> messages, ChatOptions? chat, GeminiChatClientOptions options)
    {
        var system = new List<string>();
        var contents = new List<GeminiContent>();
        foreach (var message in messages)
        {
            if (message.Role == ChatRole.System)
            {
                if (!string.IsNullOrEmpty(message.Text))
                    system.Add(message.Text);
                continue;
            }
            var parts = message.Contents.Select(ToPart).OfType<GeminiPart>().ToList();
            // Gemini rejects a content with no parts, e.g. an assistant turn that held only unsigned thoughts.
            if (parts.Count == 0)
                continue;
            var role = message.Role == ChatRole.Assistant ? "model" : "user";
            // It also rejects two turns of one role in a row (400 "Please ensure that multiturn requests alternate
            // between user and model"): a question a failed call left unanswered, a turn dropped above, the notes of
            // a merged chat. Their parts go into one turn, each part as it was.
            if (contents is [.., { Role: var last } previous] && last == role)
                contents[^1] = previous with { Parts = [.. previous.Parts ?? [], .. parts] };
            else
                contents.Add(new(role, parts));
        }
        return new(
            contents,
            system.Count > 0 ? new GeminiContent(null, [new GeminiPart(string.Join("\n\n", system))]) : null,
            ToConfig(model, chat, options));
    }

    static GeminiPart? ToPart(AIContent content) => content switch
    {
        TextReasoningContent { ProtectedData: { Length: > 0 } signature } r => new(r.Text, true, signature),
        // Gemini ignores a thought it cannot verify, so an unsigned one is only wasted tokens.
        TextReasoningContent => null,
        TextContent t when SignatureOf(t) is { } signature => new(t.Text, null, signature),
        TextContent { Text.Length: > 0 } t => new(t.Text),
        _ => null,
    };

    // A stored conversation may bring the signature back as a JsonElement rather than a string.
    static string? SignatureOf(TextContent t) =>
        t.AdditionalProperties?.TryGetValue(ThoughtSignatureKey, out var value) == true ? value?.ToString() : null;

    static GeminiGenerationConfig? ToConfig(string model, ChatOptions? chat, GeminiChatClientOptions options)
    {
        var config = new GeminiGenerationConfig(
            chat?.Temperature,
            chat?.MaxOutputTokens,
            chat?.TopP,
            chat?.TopK,
            chat?.StopSequences is { Count: > 0 } stops ? stops : null,
            ToThinking(model, chat?.Reasoning, options));
        return config == new GeminiGenerationConfig() ? null : config;
    }

    static GeminiThinkingConfig? ToThinking(string model, ReasoningOptions? reasoning, GeminiChatClientOptions options)
    {
        var include = reasoning is null
            ? options.IncludeThoughts
            : reasoning.Output != ReasoningOutput.None && reasoning.Effort != ReasoningEffort.None;
        string? level = null;
        int? budget = null;
        // Gemini 3 takes a level and answers 400 when a budget comes with it; 2.x takes a budget.
        if (model.StartsWith("gemini-3", StringComparison.OrdinalIgnoreCase))
            level = reasoning?.Effort switch
            {
                null => options.ThinkingLevel,
                ReasoningEffort.None or ReasoningEffort.Low => "low",
                _ => "high",
            };
        else
            budget = reasoning?.Effort switch
            {
                ReasoningEffort.None => 0,
                ReasoningEffort.Low => 1024,
                ReasoningEffort.Medium => 8192,
                ReasoningEffort.High => 16384,
                // 24576 is the most 2.5 Flash accepts; Pro goes to 32768.
                ReasoningEffort.ExtraHigh => 24576,
                _ => options.ThinkingBudget,
            };
        return include || level is not null || budget is not null
            ? new(include ? true : null, budget, level)
            : null;
    }
}
