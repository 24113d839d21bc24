using Microsoft.Extensions.AI;

namespace ChatMerge.Providers.Gemini;

internal static class GeminiResponseMapper
{
    public static List<AIContent> ToContents(GeminiResponse response)
    {
        var contents = new List<AIContent>();
        // We never ask for more than one candidate.
        foreach (var part in response.Candidates?.FirstOrDefault()?.Content?.Parts ?? [])
        {
            // A null part is not valid Gemini, but a broken stream must not become a crash.
            if (part is null)
                continue;
            var signature = string.IsNullOrEmpty(part.ThoughtSignature) ? null : part.ThoughtSignature;
            if (string.IsNullOrEmpty(part.Text))
            {
                // Streaming may put the signature on a trailing empty part. As reasoning it survives
                // ToChatResponse(), which would drop it from an empty TextContent while merging text.
                if (signature is not null)
                    contents.Add(new TextReasoningContent("") { ProtectedData = signature, RawRepresentation = part });
                continue;
            }
            contents.Add(part.Thought == true
                ? new TextReasoningContent(part.Text) { ProtectedData = signature, RawRepresentation = part }
                : new TextContent(part.Text)
                {
                    AdditionalProperties = signature is null ? null : new() { [GeminiRequestMapper.ThoughtSignatureKey] = signature },
                    RawRepresentation = part,
                });
        }
        return contents;
    }

    public static ChatFinishReason? ToFinishReason(GeminiResponse response) =>
        response.Candidates?.FirstOrDefault()?.FinishReason is { } reason ? Map(reason)
        // A blocked prompt gets no candidates at all, only promptFeedback.
        : response.PromptFeedback?.BlockReason is not null ? ChatFinishReason.ContentFilter
        : null;

    /// <summary>Keys of <see cref="ToFinishDetails"/>: Gemini's own names for why it stopped.</summary>
    public const string FinishReasonKey = "finishReason", BlockReasonKey = "blockReason";

    /// <summary>
    /// Gemini's own reason, which <see cref="ChatFinishReason"/> has no word for (SAFETY and RECITATION are both
    /// ContentFilter), for the update that ends the answer: the prompt's block reason, or a finish reason other than STOP.
    /// </summary>
    public static AdditionalPropertiesDictionary? ToFinishDetails(GeminiResponse response) =>
        response.PromptFeedback?.BlockReason is { } blocked ? new() { [BlockReasonKey] = blocked }
        : response.Candidates?.FirstOrDefault()?.FinishReason is { } reason and not "STOP" ? new() { [FinishReasonKey] = reason }
        : null;

    static ChatFinishReason Map(string reason) => reason switch
    {
        "STOP" => ChatFinishReason.Stop,
        "MAX_TOKENS" => ChatFinishReason.Length,
        "SAFETY" or "RECITATION" or "BLOCKLIST" or "PROHIBITED_CONTENT" or "SPII" or "IMAGE_SAFETY" => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason(reason),
    };

    // Gemini counts thoughts apart from candidates; Microsoft.Extensions.AI counts reasoning
    // inside the output, so output = candidates + thoughts and total still adds up.
    public static UsageDetails? ToUsage(GeminiUsage? usage) => usage is null ? null : new()
    {
        InputTokenCount = usage.PromptTokenCount,
        OutputTokenCount = usage.CandidatesTokenCount is null && usage.ThoughtsTokenCount is null
            ? null
            : (usage.CandidatesTokenCount ?? 0) + (usage.ThoughtsTokenCount ?? 0),
        ReasoningTokenCount = usage.ThoughtsTokenCount,
        TotalTokenCount = usage.TotalTokenCount,
    };
}
