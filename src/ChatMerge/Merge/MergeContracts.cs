using System.ComponentModel.DataAnnotations;
using ChatMerge.Data;
using ChatMerge.Providers;

namespace ChatMerge.Merge;

public sealed record MergeRequest(
    [property: Required(ErrorMessage = "chat_ids must name at least 2 chats."), MinLength(2, ErrorMessage = "chat_ids must name at least 2 chats."), MaxLength(MergeRequest.MaxChats, ErrorMessage = "chat_ids names more than 100 chats.")]
    List<string?> ChatIds,
    [property: Required(ErrorMessage = "merge_provider is required."), AllowedValues(ProviderNames.OpenAI, ProviderNames.Anthropic, ProviderNames.Gemini, ErrorMessage = "merge_" + ProviderNames.AllowedMessage)]
    string MergeProvider,
    [property: Required(ErrorMessage = "merge_model is required."), MaxLength(Limits.ModelLength)] string MergeModel,
    [property: AllowedValues(null, MergeModes.Synthesize, MergeModes.Concatenate, ErrorMessage = "mode must be synthesize or concatenate.")]
    string? Mode = null,
    [property: MaxLength(Limits.SystemPromptLength)] string? Instructions = null,
    [property: MaxLength(Limits.TitleLength)] string? Title = null)
{
    public const int MaxChats = 100;
}

/// <summary>One row of <c>GET /api/merges</c>.</summary>
public sealed record MergeSummary(
    Guid Id, Guid MergedChatId, string MergedChatTitle, IReadOnlyList<Guid> SourceChatIds,
    string Mode, string Provider, string Model, DateTime CreatedAt);

internal static class MergeModes
{
    /// <summary>The merge model writes one new conversation from all sources.</summary>
    public const string Synthesize = "synthesize";

    /// <summary>Every message copied in time order, with a marker per source and a bridging message.</summary>
    public const string Concatenate = "concatenate";
}

/// <summary>A validated merge: the source chats in the order the request named them.</summary>
internal sealed record MergeJob(
    IReadOnlyList<Chat> Chats, string Provider, string Model, string ApiKey, string Mode, string? Instructions, string? Title);
