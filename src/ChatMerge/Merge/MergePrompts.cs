using System.Text;
using ChatMerge.Data;
using ChatMerge.Hosting;

namespace ChatMerge.Merge;

/// <summary>What the merge model is told, and the labels the merged chat gets.</summary>
internal static class MergePrompts
{
    // The provider simulator recognises a merge request by the [USER]: and [ASSISTANT]: markers in
    // this text and the conversation blocks in the user message; real models just need the rules.
    public const string SynthesisSystem = """
        You merge several conversations between a user and AI assistants into one new conversation that the user will continue.

        Rules:
        - Keep every insight, fact, decision, piece of code and open question from every conversation.
        - Remove repetition: where conversations cover the same ground, say it once, in its clearest and most complete form.
        - Where conversations contradict each other, keep every position and present them as alternatives, saying which conversation each comes from.
        - Keep the shape of a dialogue: user turns ask or steer, assistant turns answer. Order the topics so that the conversation reads naturally.
        - Keep the reasoning behind an answer when it explains the answer, as a [REASONING]: block right before that assistant turn.

        Write only the merged conversation, in exactly this format, each marker at the start of its own line:
        [USER]: what the user says
        [REASONING]: optional reasoning behind the next assistant turn
        [ASSISTANT]: what the assistant says
        A turn may span many lines and hold code blocks. Write nothing before the first turn or after the last one,
        and do not wrap the conversation in a code block.
        """;

    public static string SynthesisUser(int count, string? instructions, string renderedSources)
    {
        var sb = new StringBuilder();
        sb.Append("Merge these ").Append(count).Append(count == 1 ? " conversation" : " conversations")
          .Append(" into one. A title with \"(part k of n)\" marks one piece of a longer conversation.\n\n");
        if (instructions is not null)
            sb.Append("The user's guidance for this merge (follow it where it does not break the format):\n")
              .Append(instructions).Append("\n\n");
        return sb.Append(renderedSources).ToString();
    }

    public const string BridgeSystem =
        "You write one short message, two or three sentences, that opens the next part of a chat. " +
        "The chat joins several earlier conversations, copied one after the other. Say what they covered " +
        "and invite the user to continue. Write the message only.";

    public static string BridgeUser(IReadOnlyList<Chat> chats, IReadOnlyDictionary<Guid, string?> lastUserMessages, string? instructions)
    {
        var sb = new StringBuilder("The conversations:\n");
        foreach (var chat in chats)
        {
            sb.Append("- \"").Append(chat.Title).Append("\" (").Append(chat.Provider).Append(", ").Append(chat.Model).Append(')');
            if (lastUserMessages.GetValueOrDefault(chat.Id) is { } last)
                sb.Append(", last asked: ").Append(Clip(last, 300));
            sb.Append('\n');
        }
        if (instructions is not null)
            sb.Append("\nThe user's guidance: ").Append(instructions).Append('\n');
        return sb.ToString();
    }

    public static string FallbackBridge(IReadOnlyList<Chat> chats) =>
        $"This chat joins {chats.Count} conversations: {Quoted(chats)}. Everything above is kept as it was; continue from here with any model.";

    public static string Title(IReadOnlyList<Chat> chats, string? requested) =>
        Clip(requested ?? "Merged: " + string.Join(" + ", chats.Select(c => c.Title)), Limits.TitleLength);

    /// <summary>The merged chat's system prompt: what it came from, and the sources' own instructions.</summary>
    public static string SystemPrompt(IReadOnlyList<Chat> chats, string provider, string model, string mode)
    {
        var sb = new StringBuilder();
        sb.Append("This conversation merges ").Append(chats.Count).Append(" earlier conversations: ")
          .Append(string.Join(", ", chats.Select(c => $"\"{c.Title}\" ({c.Provider}, {c.Model})"))).Append(". ");
        sb.Append(mode == MergeModes.Synthesize
            ? $"{provider} {model} combined them into the turns above, keeping every insight and showing disagreements as alternatives."
            : "Their messages follow in time order, each source introduced by a system note.");
        sb.Append(" Continue the conversation from there.");
        foreach (var chat in chats.Where(c => !string.IsNullOrWhiteSpace(c.SystemPrompt)))
            sb.Append("\n\nInstructions of \"").Append(chat.Title).Append("\":\n").Append(chat.SystemPrompt);
        return Clip(sb.ToString(), Limits.SystemPromptLength);
    }

    public static string SourceMarker(Chat chat) => $"From \"{chat.Title}\" ({chat.Provider}, {chat.Model}):";

    private static string Quoted(IReadOnlyList<Chat> chats) => string.Join(", ", chats.Select(c => $"\"{c.Title}\""));

    private static string Clip(string text, int length) => text.Length <= length ? text : TextClip.Prefix(text, length - 1) + "…";
}
