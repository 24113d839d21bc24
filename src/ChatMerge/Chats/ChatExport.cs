using System.Globalization;
using System.Text;
using ChatMerge.Data;

namespace ChatMerge.Chats;

/// <summary>
/// A chat as a file to keep or share: Markdown to read (every message with who wrote it, when, and
/// the model's reasoning folded away), or the JSON of <c>GET /api/chats/{id}</c> to process.
/// </summary>
internal static class ChatExport
{
    public const string Markdown = "markdown";
    public const string Json = "json";
    public const string FormatProblem = "format must be markdown or json.";

    /// <summary>The format asked for (Markdown when none), or null when it is not one of ours.</summary>
    public static string? Format(string? requested) =>
        string.IsNullOrWhiteSpace(requested) ? Markdown
        : requested.Trim().ToLowerInvariant() switch
        {
            Markdown or "md" => Markdown,
            Json => Json,
            _ => null,
        };

    /// <summary>A file name from the chat's title: letters, digits and dashes, never empty.</summary>
    public static string FileName(string title, string format)
    {
        var name = new StringBuilder();
        foreach (var c in title)
        {
            if (char.IsLetterOrDigit(c))
                name.Append(char.ToLowerInvariant(c));
            else if (name.Length > 0 && name[^1] != '-')
                name.Append('-');
            if (name.Length >= 60)
                break;
        }
        var stem = name.ToString().Trim('-');
        return (stem.Length > 0 ? stem : "chat") + (format == Json ? ".json" : ".md");
    }

    /// <summary>The Markdown before the messages: the title, the model, the lineage and the system prompt.</summary>
    public static void AppendHeader(StringBuilder md, Chat chat, int messageCount, MergeLineage? merge)
    {
        md.Append("# ").AppendLine(OneLine(chat.Title)).AppendLine();
        md.Append("- Model: ").Append(chat.Provider).Append(" / ").AppendLine(OneLine(chat.Model));
        md.Append("- Created: ").AppendLine(Time(chat.CreatedAt));
        md.Append("- Messages: ").AppendLine(messageCount.ToString(CultureInfo.InvariantCulture));
        if (merge is not null)
            md.Append("- Merged (").Append(merge.Mode).Append(", ").Append(merge.Provider).Append(" / ").Append(OneLine(merge.Model))
                .Append(") from chats ").AppendJoin(", ", merge.SourceChatIds.Select(id => $"`{id}`")).AppendLine();
        if (chat.SystemPrompt is { Length: > 0 } prompt)
            md.AppendLine().AppendLine("## System prompt").AppendLine().AppendLine(prompt.TrimEnd());
    }

    /// <summary>One message in Markdown, after a rule.</summary>
    public static void AppendMessage(StringBuilder md, MessageResponse message)
    {
        md.AppendLine().AppendLine("---").AppendLine();
        md.Append("### ").Append(Who(message)).Append(" · ").AppendLine(Time(message.CreatedAt)).AppendLine();
        if (message.ReasoningTrace is { Length: > 0 } reasoning)
            md.AppendLine("<details>").AppendLine("<summary>Reasoning</summary>").AppendLine()
                .AppendLine(reasoning.TrimEnd()).AppendLine().AppendLine("</details>").AppendLine();
        md.AppendLine(message.Content.TrimEnd());
        if (message.Incomplete)
            md.AppendLine().AppendLine("*(incomplete: the answer was cut short)*");
    }

    private static string Who(MessageResponse message) => message.Role switch
    {
        "user" => "User",
        "system" => "System",
        _ when message.Provider is not null => $"Assistant ({message.Provider} / {OneLine(message.Model ?? "")})",
        _ => "Assistant",
    };

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    // A title or model name on a heading's line: a line break would end the heading.
    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
