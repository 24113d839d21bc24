using System.ComponentModel.DataAnnotations;
using ChatMerge.Data;
using ChatMerge.Providers;

namespace ChatMerge.Chats;

public sealed record CreateChatRequest(
    [property: Required, AllowedValues(ProviderNames.OpenAI, ProviderNames.Anthropic, ProviderNames.Gemini, ErrorMessage = ProviderNames.AllowedMessage)] string Provider,
    [property: Required, MaxLength(Limits.ModelLength)] string Model,
    [property: MaxLength(Limits.TitleLength)] string? Title = null,
    [property: MaxLength(Limits.SystemPromptLength)] string? SystemPrompt = null);

public sealed record UpdateChatRequest(
    [property: MaxLength(Limits.TitleLength)] string? Title = null,
    [property: MaxLength(Limits.SystemPromptLength)] string? SystemPrompt = null,
    [property: AllowedValues(null, ProviderNames.OpenAI, ProviderNames.Anthropic, ProviderNames.Gemini, ErrorMessage = ProviderNames.AllowedMessage)] string? Provider = null,
    [property: MaxLength(Limits.ModelLength)] string? Model = null);

public sealed record MessageResponse(
    Guid Id,
    Guid ChatId,
    string Role,
    string Content,
    string? ReasoningTrace,
    DateTime CreatedAt,
    bool Incomplete,
    string? Provider,
    string? Model,
    int? InputTokens,
    int? OutputTokens);

/// <summary>A chat in the list: everything but its messages.</summary>
public sealed record ChatSummary(
    Guid Id, string Title, string Provider, string Model, string? SystemPrompt,
    DateTime CreatedAt, DateTime UpdatedAt, int MessageCount);

/// <summary>Where a merged chat came from; null for chats that were not merged.</summary>
public sealed record MergeLineage(Guid MergeId, IReadOnlyList<Guid> SourceChatIds, string Mode, string Provider, string Model, DateTime CreatedAt);

public sealed record ChatDetail(
    Guid Id, string Title, string Provider, string Model, string? SystemPrompt,
    DateTime CreatedAt, DateTime UpdatedAt, int MessageCount,
    IReadOnlyList<MessageResponse> Messages, MergeLineage? MergedFrom);

internal static class ChatMapping
{
    public static ChatDetail ToDetail(this Chat chat, IReadOnlyList<MessageResponse> messages, MergeLineage? lineage) =>
        new(chat.Id, chat.Title, chat.Provider, chat.Model, chat.SystemPrompt,
            chat.CreatedAt, chat.UpdatedAt, messages.Count, messages, lineage);
}
