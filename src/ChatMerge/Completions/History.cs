using System.Text.Json;
using ChatMerge.Data;
using ChatMerge.Providers;
using Microsoft.Extensions.AI;

namespace ChatMerge.Completions;

/// <summary>Turns a stored chat into the messages sent to its provider.</summary>
internal static class History
{
    public static List<ChatMessage> Build(string? systemPrompt, IEnumerable<Message> messages, string provider)
    {
        var history = new List<ChatMessage>();
        if (!string.IsNullOrWhiteSpace(systemPrompt))
            history.Add(new ChatMessage(ChatRole.System, systemPrompt));
        foreach (var message in messages)
        {
            var role = message.Role switch
            {
                "assistant" => ChatRole.Assistant,
                "system" => ChatRole.System,
                _ => ChatRole.User,
            };
            if (role != ChatRole.Assistant || string.IsNullOrEmpty(message.ReasoningTrace))
            {
                history.Add(new ChatMessage(role, message.Content));
                continue;
            }
            history.Add(new ChatMessage(role, AssistantContents(message, provider)));
        }
        return history;
    }

    /// <summary>
    /// Reasoning goes back as signed thinking blocks to the provider that wrote them (Claude
    /// needs them to keep thinking across turns); any other provider gets it as plain text.
    /// </summary>
    private static List<AIContent> AssistantContents(Message message, string provider)
    {
        var contents = new List<AIContent>();
        if (message.Provider == provider && message.ReasoningData is { } data
            && JsonSerializer.Deserialize<List<ReasoningBlock>>(data) is { Count: > 0 } blocks)
        {
            contents.AddRange(blocks.Select(b => Replay(b, provider)));
            contents.Add(new TextContent(message.Content));
            return contents;
        }
        contents.Add(new TextContent($"<previous_reasoning>\n{message.ReasoningTrace}\n</previous_reasoning>\n\n{message.Content}"));
        return contents;
    }

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
