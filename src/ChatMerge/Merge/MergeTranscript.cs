using System.Text;

namespace ChatMerge.Merge;

/// <summary>
/// One stored message as the merge sees it; Role is "user", "assistant" or "system". IsComplete is false
/// for an answer that was cut off.
/// </summary>
internal sealed record SourceMessage(string Role, string Content, string? Reasoning, bool IsComplete = true);

internal sealed record SourceConversation(string Title, string Provider, string Model, IReadOnlyList<SourceMessage> Messages)
{
    /// <summary>
    /// One message too large for the merge model to rewrite within its output limit: it is never sent to
    /// the model and goes into the merged chat as it was written.
    /// </summary>
    public bool AsWritten { get; init; }
}

/// <summary>
/// Writes conversations in the strict turn format. Every content line that
/// <see cref="MergeTranscriptParser"/> could misread is escaped (see <see cref="TranscriptSyntax"/>),
/// and every block leaves no code fence open, so parsing the output gives back exactly the
/// turns that went in.
/// </summary>
internal static class MergeTranscript
{
    /// <summary>How the lines around each conversation begin (<c>&lt;&lt;&lt;CONVERSATION 1&gt;&gt;&gt;</c>); the parser knows them by these.</summary>
    public const string ConversationStart = "<<<CONVERSATION ", ConversationEnd = "<<<END CONVERSATION ";

    /// <summary>Ends the turn of an answer that was cut off, so the merge model does not take it for a whole one.</summary>
    public const string CutOffNote = "(answer cut off)";

    /// <summary>
    /// The merge prompt's source section; the provider simulator parses it, so the shape is a contract:
    /// <c>&lt;&lt;&lt;CONVERSATION i&gt;&gt;&gt;</c>, the labels <c>Title:</c>, <c>Provider:</c>, <c>Model:</c>,
    /// <c>Messages: n</c> (the turns that follow, system messages excluded), one <c>System:</c> label
    /// per system message, then the turns, then <c>&lt;&lt;&lt;END CONVERSATION i&gt;&gt;&gt;</c>.
    /// </summary>
    public static string RenderSources(IReadOnlyList<SourceConversation> conversations)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < conversations.Count; i++)
        {
            if (i > 0) sb.Append('\n');
            AppendConversation(sb, conversations[i], i + 1);
        }
        return sb.ToString();
    }

    public static string Render(IReadOnlyList<MergedTurn> turns)
    {
        var sb = new StringBuilder();
        foreach (var turn in turns)
        {
            if (turn.Role == TurnRole.Assistant)
                AppendMessage(sb, new SourceMessage("assistant", turn.Content, turn.Reasoning));
            else
                AppendMessage(sb, new SourceMessage("user", turn.Content, null));
        }
        return sb.ToString();
    }

    /// <summary>One message's text as it appears inside a source block (a system message as its label); empty when it renders nothing.</summary>
    internal static string RenderMessage(SourceMessage message)
    {
        var sb = new StringBuilder();
        if (!IsSystem(message)) AppendMessage(sb, message);
        else if (!string.IsNullOrWhiteSpace(message.Content)) AppendBlock(sb, "System:", message.Content);
        return sb.ToString();
    }

    internal static bool IsSystem(SourceMessage m) => m.Role.Equals("system", StringComparison.OrdinalIgnoreCase);

    private static bool IsAssistant(SourceMessage m) => m.Role.Equals("assistant", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a non-system message renders a turn: blank messages are left out.</summary>
    internal static bool Renders(SourceMessage m) =>
        !string.IsNullOrWhiteSpace(m.Content) || (IsAssistant(m) && !string.IsNullOrWhiteSpace(m.Reasoning));

    private static void AppendConversation(StringBuilder sb, SourceConversation c, int n)
    {
        sb.Append(ConversationStart).Append(n).Append(">>>\n");
        sb.Append("Title: ").Append(OneLine(c.Title)).Append('\n');
        sb.Append("Provider: ").Append(OneLine(c.Provider)).Append('\n');
        sb.Append("Model: ").Append(OneLine(c.Model)).Append('\n');
        sb.Append("Messages: ").Append(c.Messages.Count(m => !IsSystem(m) && Renders(m))).Append('\n');
        foreach (var m in c.Messages)
            if (IsSystem(m) && !string.IsNullOrWhiteSpace(m.Content))
                AppendBlock(sb, "System:", m.Content);
        foreach (var m in c.Messages)
            if (!IsSystem(m)) AppendMessage(sb, m);
        sb.Append(ConversationEnd).Append(n).Append(">>>\n");
    }

    // Turns are separated by a blank line; a message's reasoning goes right before its assistant turn,
    // where the parser attaches it. An assistant message with only reasoning renders only that block,
    // which the parser hands to the next assistant turn; one that was cut off ends with the note.
    private static void AppendMessage(StringBuilder sb, SourceMessage m)
    {
        if (IsSystem(m) || !Renders(m)) return;
        if (!IsAssistant(m))
        {
            sb.Append('\n');
            AppendBlock(sb, "[USER]:", m.Content);
            return;
        }
        if (!string.IsNullOrWhiteSpace(m.Reasoning))
        {
            sb.Append('\n');
            AppendBlock(sb, "[REASONING]:", m.Reasoning);
        }
        var content = m.IsComplete ? m.Content : WithCutOffNote(m.Content);
        if (!string.IsNullOrWhiteSpace(content))
        {
            sb.Append('\n');
            AppendBlock(sb, "[ASSISTANT]:", content);
        }
    }

    private static string WithCutOffNote(string content) =>
        string.IsNullOrWhiteSpace(content) ? CutOffNote : content.TrimEnd() + "\n\n" + CutOffNote;

    private static void AppendBlock(StringBuilder sb, string label, string content)
    {
        var lines = ContentLines(content);
        var rendered = EscapeLines(lines);
        // The first line shares the label's line only when the parser reads it back unchanged there.
        var inline = rendered.Count > 0 && ReferenceEquals(rendered[0], lines[0])
            && !char.IsWhiteSpace(lines[0][0]) && !TranscriptSyntax.TryOpenFence(lines[0], out _);
        sb.Append(label);
        for (var i = 0; i < rendered.Count; i++)
            sb.Append(i == 0 && inline ? ' ' : '\n').Append(rendered[i]);
        sb.Append('\n');
    }

    /// <summary>Content in the parser's normal form: LF lines, no leading blank lines, no trailing whitespace.</summary>
    internal static List<string> ContentLines(string? content)
    {
        var text = (content ?? "").Replace("\r\n", "\n").Replace('\r', '\n').TrimEnd();
        var lines = text.Split('\n').ToList();
        var firstText = lines.FindIndex(l => !string.IsNullOrWhiteSpace(l));
        return firstText < 0 ? [] : lines[firstText..];
    }

    // A fence that never closes would swallow every later marker, so its opener is escaped
    // and stays text. Whether a closer follows is precomputed, keeping this linear.
    private static List<string> EscapeLines(List<string> lines)
    {
        var laterCloser = TranscriptSyntax.LaterClosers(lines);
        var result = new List<string>(lines.Count);
        var fence = Fence.None;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (fence.IsOpen)
            {
                if (TranscriptSyntax.ClosesFence(line, fence)) fence = Fence.None;
                else if (TranscriptSyntax.NeedsEscape(line, insideFence: true)) line = TranscriptSyntax.Escape(line);
            }
            else if (TranscriptSyntax.TryOpenFence(line, out var opened) && laterCloser[opened.Char][i + 1] >= opened.Length)
            {
                fence = opened;
            }
            else if (TranscriptSyntax.NeedsEscape(line, insideFence: false))
            {
                line = TranscriptSyntax.Escape(line);
            }
            result.Add(line);
        }
        return result;
    }

    private static string OneLine(string? label) =>
        string.Join(' ', (label ?? "").Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}
