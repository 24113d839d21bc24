using System.Text;

namespace ChatMerge.Simulator;

/// <summary>
/// Answers the server's merge prompt: the conversations between <c>&lt;&lt;&lt;CONVERSATION i&gt;&gt;&gt;</c> and
/// <c>&lt;&lt;&lt;END CONVERSATION i&gt;&gt;&gt;</c> lines become one conversation, exact repeats dropped.
/// </summary>
internal static class Merge
{
    const string Start = "<<<CONVERSATION ", End = "<<<END CONVERSATION ";
    static readonly string[] Markers = ["[USER]:", "[ASSISTANT]:", "[REASONING]:"];

    public static bool IsMergeRequest(string? system, string lastUser) =>
        system is not null && system.Contains("[USER]:", StringComparison.Ordinal)
        && system.Contains("[ASSISTANT]:", StringComparison.Ordinal)
        && lastUser.Contains(Start, StringComparison.Ordinal);

    /// <param name="text">The last user message, directives already removed.</param>
    /// <param name="mode">The <c>merge=</c> directive: null, no-markers, code-only, preamble, bold, user-only.</param>
    public static string Answer(string text, string? mode)
    {
        var turns = Dedupe(Parse(text));
        if (mode == "user-only") turns = turns.Where(t => t.Role == "USER").ToList();
        if (mode == "no-markers")
            return "The conversations covered these points. " + string.Join(" ", turns.Select(t => t.Text.Replace('\n', ' ')));

        var body = string.Join("\n\n", turns.Select(t => mode == "bold"
            ? $"**[{char.ToUpperInvariant(t.Role[0])}{t.Role[1..].ToLowerInvariant()}]:** {t.Text}"
            : $"[{t.Role}]: {t.Text}"));
        return mode switch
        {
            "code-only" => "Sure, the merged conversation follows.\n\n```\n" + body + "\n```\n",
            "preamble" => "Here is the merged conversation:\n\n" + body,
            _ => body,
        };
    }

    internal static List<(string Role, string Text)> Parse(string text)
    {
        var turns = new List<(string Role, string Text)>();
        string? role = null;
        var current = new StringBuilder();
        var inside = false;

        void Flush()
        {
            if (role is not null) turns.Add((role, current.ToString().Trim()));
            role = null;
            current.Clear();
        }

        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith(End, StringComparison.Ordinal)) { Flush(); inside = false; continue; }
            if (line.StartsWith(Start, StringComparison.Ordinal)) { Flush(); inside = true; continue; }
            if (!inside) continue;
            var marker = Markers.FirstOrDefault(m => line.StartsWith(m, StringComparison.Ordinal));
            if (marker is not null)
            {
                Flush();
                role = marker[1..^2];
                current.Append(line[marker.Length..].TrimStart());
            }
            else if (role is not null)
            {
                current.Append('\n').Append(line);
            }
        }
        Flush();
        return turns;
    }

    // A reasoning turn travels with the assistant turn after it: if that answer is a repeat, its reasoning goes too.
    static List<(string Role, string Text)> Dedupe(List<(string Role, string Text)> turns)
    {
        var seen = new HashSet<(string, string)>();
        var result = new List<(string Role, string Text)>();
        for (var i = 0; i < turns.Count; i++)
        {
            var t = turns[i];
            if (t.Role == "REASONING" && i + 1 < turns.Count && turns[i + 1].Role == "ASSISTANT")
            {
                var answer = turns[i + 1];
                if (!seen.Add(answer)) { i++; continue; }
                if (seen.Add(t)) result.Add(t);
                result.Add(answer);
                i++;
                continue;
            }
            if (seen.Add(t)) result.Add(t);
        }
        return result;
    }
}
