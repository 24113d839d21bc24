using System.Text.Json.Serialization;

namespace ChatMerge.Providers.Gemini;

// The slice of the Gemini REST schema we use. Unknown fields (functionCall, inlineData,
// safetyRatings, ...) are ignored on read; nulls are left out on write.

internal sealed record GeminiRequest(
    IReadOnlyList<GeminiContent> Contents,
    GeminiContent? SystemInstruction,
    GeminiGenerationConfig? GenerationConfig);

internal sealed record GeminiContent(string? Role, IReadOnlyList<GeminiPart>? Parts);

internal sealed record GeminiPart(string? Text, bool? Thought = null, string? ThoughtSignature = null);

internal sealed record GeminiGenerationConfig(
    float? Temperature = null,
    int? MaxOutputTokens = null,
    float? TopP = null,
    int? TopK = null,
    IList<string>? StopSequences = null,
    GeminiThinkingConfig? ThinkingConfig = null);

internal sealed record GeminiThinkingConfig(bool? IncludeThoughts, int? ThinkingBudget, string? ThinkingLevel);

internal sealed record GeminiResponse(
    IReadOnlyList<GeminiCandidate>? Candidates,
    GeminiUsage? UsageMetadata,
    GeminiPromptFeedback? PromptFeedback,
    string? ModelVersion,
    string? ResponseId,
    GeminiError? Error);

internal sealed record GeminiCandidate(GeminiContent? Content, string? FinishReason, int? Index);

internal sealed record GeminiPromptFeedback(string? BlockReason);

internal sealed record GeminiUsage(int? PromptTokenCount, int? CandidatesTokenCount, int? ThoughtsTokenCount, int? TotalTokenCount);

internal sealed record GeminiErrorEnvelope(GeminiError? Error);

internal sealed record GeminiError(int? Code, string? Message, string? Status, IReadOnlyList<GeminiErrorDetail>? Details);

internal sealed record GeminiErrorDetail(
    [property: JsonPropertyName("@type")] string? Type,
    string? Reason,
    string? RetryDelay);

internal sealed record GeminiModelList(IReadOnlyList<GeminiModelInfo>? Models, string? NextPageToken);

internal sealed record GeminiModelInfo(string? Name, IReadOnlyList<string>? SupportedGenerationMethods);

// Source-generated so the hot streaming path and a trimmed server need no reflection.
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GeminiRequest))]
[JsonSerializable(typeof(GeminiResponse))]
[JsonSerializable(typeof(GeminiErrorEnvelope))]
[JsonSerializable(typeof(GeminiModelList))]
internal sealed partial class GeminiJsonContext : JsonSerializerContext;
