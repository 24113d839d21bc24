using System.Text;

namespace ChatMerge.Hosting;

/// <summary>
/// Reads a <c>.env</c> file into the process environment, as python-dotenv reads one line:
/// <c>KEY=VALUE</c>, an optional <c>export</c>, <c>#</c> comments on their own line or after a
/// value (unquoted values end at a <c>#</c> after whitespace), and values in single quotes (taken
/// as written) or double quotes (with <c>\n</c>, <c>\t</c>, <c>\"</c> and <c>\\</c> escapes).
/// Variables already set win.
/// </summary>
internal static class DotEnv
{
    public static void Load(string path)
    {
        if (!File.Exists(path))
            return;
        foreach (var (key, value) in Parse(File.ReadAllLines(path)))
        {
            if (Environment.GetEnvironmentVariable(key) is null)
                Environment.SetEnvironmentVariable(key, value);
        }
    }

    public static IEnumerable<(string Key, string Value)> Parse(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line.StartsWith("export ", StringComparison.Ordinal))
                line = line[7..].TrimStart();
            var eq = line.IndexOf('=');
            if (eq <= 0)
                continue;
            yield return (line[..eq].Trim(), Value(line.AsSpan(eq + 1).Trim()));
        }
    }

    private static string Value(ReadOnlySpan<char> text)
    {
        if (text.Length > 0 && text[0] is '"' or '\'' && Quoted(text) is { } quoted)
            return quoted;
        for (var i = 1; i < text.Length; i++)
        {
            if (text[i] == '#' && char.IsWhiteSpace(text[i - 1]))
                return text[..i].TrimEnd().ToString();
        }
        return text.ToString();
    }

    /// <summary>The value between the quotes, or null when the closing quote is missing or followed by more than a comment.</summary>
    private static string? Quoted(ReadOnlySpan<char> text)
    {
        var quote = text[0];
        var value = new StringBuilder(text.Length);
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (c == quote)
            {
                var rest = text[(i + 1)..].TrimStart();
                return rest.IsEmpty || rest[0] == '#' ? value.ToString() : null;
            }
            if (c == '\\' && i + 1 < text.Length && Escaped(quote, text[i + 1]) is { } escaped)
            {
                value.Append(escaped);
                i++;
                continue;
            }
            value.Append(c);
        }
        return null;
    }

    private static char? Escaped(char quote, char next) => (quote, next) switch
    {
        (_, '\\') => '\\',
        (_, var q) when q == quote => quote,
        ('"', 'n') => '\n',
        ('"', 't') => '\t',
        ('"', 'r') => '\r',
        _ => null,
    };
}
