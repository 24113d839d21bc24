using System.Text.Json;
using ChatMerge.Data;
using ChatMerge.Providers;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;

namespace ChatMerge.Completions;

/// <summary>Turns a stored chat into the messages sent to its provider.</summary>
internal static class History
{
    public static List<ChatMessage> Build(string? systemPrompt, IEnumerable<Message> messages, string provider, string model)
    {
        var history = new List<ChatMessage>();
        if (!string.IsNullOrWhiteSpace(systemPrompt))
            history.Add(new ChatMessage(ChatRole.System, systemPrompt));
        var started = false;
        foreach (var message in messages)
        {
            var role = message.Role switch
            {
                "assistant" => ChatRole.Assistant,
                "system" => ChatRole.System,
                _ => ChatRole.User,
            };
            // A system note inside the conversation (a concatenated merge's source notes) goes as the user's text
            // where it stands: Claude takes a system message there only right before an answer, and only on some
            // models (400 otherwise); Gemini has only its one system instruction, where the notes would lose their places.
            if (role == ChatRole.System && started && provider is ProviderNames.Anthropic or ProviderNames.Gemini)
                role = ChatRole.User;
            started |= role != ChatRole.System;
            history.Add(role == ChatRole.Assistant && SignedBlocks(message, provider, model) is { } blocks
                ? new ChatMessage(role, [.. blocks.Where(b => !b.OnText).Select(b => Replay(b, provider)), SignedText(message.Content, blocks)])
                : new ChatMessage(role, message.Content));
        }
        return history;
    }

    /// <summary>
    /// Reasoning goes back only where the provider can use it: as the signed blocks it came with (Claude's
    /// thinking, Gemini's thought signatures), to the model that wrote them. Signatures are bound to the model:
    /// Claude refuses another model's (400, "Invalid `signature` in `thinking` block"), so a chat switched to
    /// another model sends its earlier answers as text. Anything else stays out of the history: pasted into
    /// the assistant's words it would cost tokens on every turn, and models copy it. Nor does thinking that led to no
    /// text (an answer cut off or failed right after it): Claude refuses an assistant message that ends with thinking.
    /// </summary>
    private static List<ReasoningBlock>? SignedBlocks(Message message, string provider, string model) =>
        message.Provider == provider && message.Model == model && !string.IsNullOrWhiteSpace(message.Content) && message.ReasoningData is { } data
        && JsonSerializer.Deserialize<List<ReasoningBlock>>(data) is { Count: > 0 } blocks
            ? blocks
            : null;

    /// <summary>The answer's text, with the Gemini signature that came on it (its text is stored as one part).</summary>
    private static TextContent SignedText(string text, List<ReasoningBlock> blocks) =>
        blocks.FirstOrDefault(b => b.OnText) is { } signed
            ? new TextContent(text) { AdditionalProperties = new() { [GeminiRequestMapper.ThoughtSignatureKey] = signed.Signature } }
            : new TextContent(text);

    private static TextReasoningContent Replay(ReasoningBlock block, string provider)
    {
        var content = new TextReasoningContent(block.Text) { ProtectedData = block.Signature };
        // Rows stored before blocks said so: Claude's empty thinking blocks were its redacted thinking
        // (ChatMerge never asks Claude to leave the text out of a thinking block).
        if (block.Redacted || (provider == ProviderNames.Anthropic && block.Text.Length == 0))
            content.AdditionalProperties = new() { [ReasoningBlock.AnthropicRedactedKey] = true };
        return content;
    }
}
