using System.Text;

namespace ChatMerge.Merge;

internal enum TurnRole { User, Assistant }

internal sealed record MergedTurn(TurnRole Role, string Content, string? Reasoning);

internal sealed record ParsedTranscript(IReadOnlyList<MergedTurn> Turns, int DroppedEmptyTurns)
{
    public bool HasUserAndAssistant =>
        Turns.Any(t => t.Role == TurnRole.User) && Turns.Any(t => t.Role == TurnRole.Assistant);
}

/// <summary>
/// Reads the merge model's answer back into turns. One pass over the lines, no regex, so a
/// model that rambles for megabytes costs linear time and no input can make it throw.
/// The line syntax (markers, fences, escapes) lives in <see cref="TranscriptSyntax"/> so the
/// renderer escapes exactly what this parser would otherwise misread.
/// </summary>
internal static class MergeTranscriptParser
{
    private sealed class Block(MarkerRole role)
    {
        public MarkerRole Role { get; } = role;
        public List<string> Lines { get; } = [];
    }

    public static ParsedTranscript Parse(string text)
    {
        var blocks = new List<Block>();
        Block? current = null;
        var fence = Fence.None;
        // CRLF, lone CR and LF all end a line.
        var lines = (text ?? "").Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var closers = TranscriptSyntax.LaterClosers(lines);
        var i = 0;

        // Text before the first marker, or after an echoed delimiter, is no turn's and is dropped.
        void Add(string line) => current?.Lines.Add(line);

        // An ordinary line outside a fence: it may open one; otherwise undo the renderer's escape.
        // A fence that never closes is text, as the renderer writes it: a stray ``` in the model's
        // answer would otherwise swallow every turn after it.
        void AddOutside(ReadOnlySpan<char> line)
        {
            if (TranscriptSyntax.TryOpenFence(line, out var opened) && closers[opened.Char][i + 1] >= opened.Length) fence = opened;
            else line = TranscriptSyntax.Unescape(line, insideFence: false);
            Add(line.ToString());
        }

        for (; i < lines.Length; i++)
        {
            var line = lines[i].AsSpan();

            if (fence.IsOpen)
            {
                if (TranscriptSyntax.ClosesFence(line, fence)) fence = Fence.None;
                else line = TranscriptSyntax.Unescape(line, insideFence: true);
                Add(line.ToString());
            }
            else if (TranscriptSyntax.IsDelimiter(line))
            {
                // A model that echoes the prompt's conversation delimiters: they end the turn, and the
                // labels after them are preamble, not content.
                current = null;
            }
            else if (TranscriptSyntax.TryMatchMarker(line, out var role, out var content))
            {
                current = new Block(role);
                blocks.Add(current);
                // Text after the marker starts the content; it can open a fence like any line.
                var first = line[content].TrimStart();
                if (!first.IsEmpty) AddOutside(first);
            }
            else
            {
                AddOutside(line);
            }
        }

        return Assemble(blocks);
    }

    /// <summary>
    /// <see cref="Parse"/> for the model's answer, which may wrap the whole transcript in a code block
    /// despite being told not to. A wrapper is a fence that opens before any marker with nothing but
    /// prose after its last closing line; it runs to that line, so the code blocks the turns hold
    /// (whose bare closers would end it early) stay inside, and its turns are the conversation.
    /// Any other fence is content, markers and all.
    /// </summary>
    public static ParsedTranscript ParseAnswer(string text)
    {
        text ??= "";
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        var first = Array.FindIndex(lines, l => TranscriptSyntax.TryMatchMarker(l, out _, out _) || TranscriptSyntax.TryOpenFence(l, out _));
        if (first >= 0 && TranscriptSyntax.TryOpenFence(lines[first], out var fence))
        {
            var close = Array.FindLastIndex(lines, l => TranscriptSyntax.ClosesFence(l, fence));
            if (close <= first) close = lines.Length; // never closed: a cut-off answer
            var inner = Parse(string.Join('\n', lines[(first + 1)..close]));
            var after = Parse(string.Join('\n', lines[Math.Min(close + 1, lines.Length)..]));
            if (inner.HasUserAndAssistant && after.Turns.Count == 0)
                return inner;
        }
        return Parse(text);
    }

    private static ParsedTranscript Assemble(List<Block> blocks)
    {
        var dropped = 0;
        var kept = new List<(MarkerRole Role, string Text)>(blocks.Count);
        foreach (var block in blocks)
        {
            var text = Normalize(block.Lines);
            if (text.Length == 0) dropped++;
            else kept.Add((block.Role, text));
        }

        var turns = new List<MergedTurn>();
        var pending = new List<string>();
        int? previousAssistant = null; // the assistant turn immediately before, reasoning blocks aside

        foreach (var (role, text) in kept)
        {
            switch (role)
            {
                case MarkerRole.Reasoning:
                    pending.Add(text);
                    break;
                case MarkerRole.Assistant:
                    // Reasoning belongs to the next assistant turn when one follows before any user turn.
                    turns.Add(new MergedTurn(TurnRole.Assistant, text, pending.Count > 0 ? string.Join("\n\n", pending) : null));
                    pending.Clear();
                    previousAssistant = turns.Count - 1;
                    break;
                case MarkerRole.User:
                    FlushToPrevious();
                    turns.Add(new MergedTurn(TurnRole.User, text, null));
                    previousAssistant = null;
                    break;
            }
        }
        FlushToPrevious();

        // Otherwise it belongs to the assistant turn just before it; with neither, it is dropped.
        void FlushToPrevious()
        {
            if (pending.Count > 0 && previousAssistant is int i)
            {
                var turn = turns[i];
                var joined = string.Join("\n\n", pending);
                turns[i] = turn with { Reasoning = turn.Reasoning is null ? joined : turn.Reasoning + "\n\n" + joined };
            }
            pending.Clear();
        }

        return new ParsedTranscript(turns, dropped);
    }

    /// <summary>Drops leading and trailing blank lines and trailing whitespace; inner lines stay exact.</summary>
    internal static string Normalize(IReadOnlyList<string> lines)
    {
        var start = 0;
        while (start < lines.Count && string.IsNullOrWhiteSpace(lines[start])) start++;
        if (start == lines.Count) return "";
        var sb = new StringBuilder();
        for (var i = start; i < lines.Count; i++)
        {
            if (i > start) sb.Append('\n');
            sb.Append(lines[i]);
        }
        var length = sb.Length;
        while (length > 0 && char.IsWhiteSpace(sb[length - 1])) length--;
        return sb.ToString(0, length);
    }
}

internal enum MarkerRole { User, Assistant, Reasoning }

/// <summary>An open code fence: its character and how many of them opened it.</summary>
internal readonly record struct Fence(char Char, int Length)
{
    public static Fence None => default;
    public bool IsOpen => Length > 0;
}

/// <summary>
/// The transcript's line syntax, shared by parser and renderer.
/// Markers are recognised at the start of a line after any whitespace, in any case, with
/// markdown decoration models like to add: a heading (<c>### [ASSISTANT]:</c>), bold or
/// italics around the bracket or the colon (<c>**[User]:**</c>, <c>**[USER]**:</c>,
/// <c>__[Assistant]:__</c>, or the whole line: <c>**[USER]: q**</c>) and spaces inside
/// (<c>[ ASSISTANT ] :</c>). List bullets and quotes are not markers: "- [USER]: ..." is far
/// more often quoted text than a turn. Fences may be indented any amount, as in list items.
/// Escape: a content line that would read as syntax gets one backslash after its
/// indentation (<c>[USER]: x</c> → <c>\[USER]: x</c>); a line that already hides syntax
/// behind backslashes gets one more, so removing exactly one is always the inverse.
/// Outside fences, syntax is a marker, a fence opener or a conversation delimiter;
/// inside fences only the delimiter, because the simulator splits conversations on it
/// without knowing about fences. Markdown shows <c>\[</c>, <c>\*</c>, <c>\`</c> as the bare
/// character, so an escaped line still displays as written.
/// </summary>
internal static class TranscriptSyntax
{
    /// <param name="content">The rest of the line after the marker and its decoration.</param>
    public static bool TryMatchMarker(ReadOnlySpan<char> line, out MarkerRole role, out Range content)
    {
        role = default;
        content = default;
        var i = SkipWhitespace(line, 0);
        if (i < line.Length && line[i] == '#')
        {
            var hashes = 0;
            while (i < line.Length && line[i] == '#') { i++; hashes++; }
            if (hashes > 6 || i == line.Length || !char.IsWhiteSpace(line[i])) return false;
            i = SkipWhitespace(line, i);
        }
        var emphasis = i;
        var open = CountEmphasis(line, i, 3);
        i += open;
        if (i >= line.Length || line[i] != '[') return false;
        i = SkipWhitespace(line, i + 1);
        var start = i;
        while (i < line.Length && char.IsAsciiLetter(line[i])) i++;
        var word = line[start..i];
        if (word.Equals("USER", StringComparison.OrdinalIgnoreCase)) role = MarkerRole.User;
        else if (word.Equals("ASSISTANT", StringComparison.OrdinalIgnoreCase)) role = MarkerRole.Assistant;
        else if (word.Equals("REASONING", StringComparison.OrdinalIgnoreCase)) role = MarkerRole.Reasoning;
        else return false;
        i = SkipWhitespace(line, i);
        if (i >= line.Length || line[i] != ']') return false;
        var closed = CountEmphasis(line, i + 1, open);
        i = SkipWhitespace(line, i + 1 + closed);
        if (i >= line.Length || line[i] != ':') return false;
        var afterColon = CountEmphasis(line, i + 1, open - closed);
        var begin = i + 1 + afterColon;
        var end = line.Length;
        // Emphasis still open after the colon closes at the end of the line (**[USER]: q**) unless
        // the line closes it earlier itself (**[USER]: a **b**).
        var unclosed = line.Slice(emphasis, open - closed - afterColon);
        var text = line[begin..].TrimEnd();
        if (!unclosed.IsEmpty && text.EndsWith(unclosed) && text.IndexOf(unclosed) == text.Length - unclosed.Length)
            end = begin + text.Length - unclosed.Length;
        content = begin..end;
        return true;
    }

    /// <summary>
    /// ``` or ~~~ (three or more) at any indentation: unlike CommonMark, which counts a fence's
    /// indentation from its list item, a line indented four spaces or a tab is a fence too.
    /// </summary>
    public static bool TryOpenFence(ReadOnlySpan<char> line, out Fence fence)
    {
        fence = Fence.None;
        var i = SkipWhitespace(line, 0);
        if (i == line.Length || line[i] is not ('`' or '~')) return false;
        var c = line[i];
        var run = CountRun(line, i, c);
        // A backtick in the info string means inline code such as ```x```, not a fence.
        if (run < 3 || (c == '`' && line[(i + run)..].Contains('`'))) return false;
        fence = new Fence(c, run);
        return true;
    }

    public static bool ClosesFence(ReadOnlySpan<char> line, Fence fence)
    {
        var i = SkipWhitespace(line, 0);
        if (i == line.Length || line[i] != fence.Char) return false;
        var run = CountRun(line, i, fence.Char);
        return run >= fence.Length && line[(i + run)..].IsWhiteSpace();
    }

    /// <summary>
    /// For each line index, the longest run of a line from there on that closes a ``` or a ~~~ fence
    /// (0 if none); one more entry, 0, past the end. A fence opens only where a closer follows.
    /// </summary>
    public static Dictionary<char, int[]> LaterClosers(IReadOnlyList<string> lines)
    {
        var later = new Dictionary<char, int[]> { ['`'] = new int[lines.Count + 1], ['~'] = new int[lines.Count + 1] };
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            foreach (var (c, longest) in later)
            {
                var run = ClosesFence(lines[i], new Fence(c, 3)) ? lines[i].Trim().Length : 0;
                longest[i] = Math.Max(longest[i + 1], run);
            }
        }
        return later;
    }

    public static bool NeedsEscape(ReadOnlySpan<char> line, bool insideFence) =>
        IsSyntax(WithoutBackslashes(line, out _, out _), insideFence);

    public static string Escape(ReadOnlySpan<char> line)
    {
        var ws = SkipWhitespace(line, 0);
        return string.Concat(line[..ws], "\\", line[ws..]);
    }

    public static ReadOnlySpan<char> Unescape(ReadOnlySpan<char> line, bool insideFence)
    {
        var stripped = WithoutBackslashes(line, out var ws, out var slashes);
        if (slashes == 0 || !IsSyntax(stripped, insideFence)) return line;
        return string.Concat(line[..ws], line[(ws + 1)..]);
    }

    private static bool IsSyntax(ReadOnlySpan<char> line, bool insideFence) =>
        IsDelimiter(line) || (!insideFence && (TryMatchMarker(line, out _, out _) || TryOpenFence(line, out _)));

    /// <summary>
    /// The merge prompt's <c>&lt;&lt;&lt;CONVERSATION n&gt;&gt;&gt;</c> and <c>&lt;&lt;&lt;END CONVERSATION n&gt;&gt;&gt;</c>
    /// lines (see <see cref="MergeTranscript.RenderSources"/>), by the prefix the simulator splits on.
    /// Other lines starting with <c>&lt;&lt;&lt;</c>, such as merge conflicts and here-strings, are text.
    /// </summary>
    public static bool IsDelimiter(ReadOnlySpan<char> line)
    {
        var text = line[SkipWhitespace(line, 0)..];
        return text.StartsWith(MergeTranscript.ConversationStart) || text.StartsWith(MergeTranscript.ConversationEnd);
    }

    private static ReadOnlySpan<char> WithoutBackslashes(ReadOnlySpan<char> line, out int ws, out int slashes)
    {
        ws = SkipWhitespace(line, 0);
        slashes = CountRun(line, ws, '\\');
        return slashes == 0 ? line : string.Concat(line[..ws], line[(ws + slashes)..]);
    }

    private static int SkipWhitespace(ReadOnlySpan<char> line, int i)
    {
        while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
        return i;
    }

    private static int CountRun(ReadOnlySpan<char> line, int i, char c)
    {
        var start = i;
        while (i < line.Length && line[i] == c) i++;
        return i - start;
    }

    private static int CountEmphasis(ReadOnlySpan<char> line, int i, int max)
    {
        var n = 0;
        while (n < max && i + n < line.Length && line[i + n] is '*' or '_') n++;
        return n;
    }
}
