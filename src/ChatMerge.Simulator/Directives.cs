using System.Text.RegularExpressions;

namespace ChatMerge.Simulator;

/// <summary>
/// The <c>[[sim:NAME]]</c> / <c>[[sim:NAME=VALUE]]</c> switches a test writes into the last user message
/// to make the simulator misbehave on purpose.
/// </summary>
internal sealed partial class Directives
{
    public static readonly Directives None = new(new Dictionary<string, string>());

    readonly Dictionary<string, string> _values;

    Directives(Dictionary<string, string> values) => _values = values;

    public bool IsEmpty => _values.Count == 0;
    public string? Fault => Get("fault");
    public string? Merge => Get("merge");
    public int DelayMs => GetInt("delay") ?? 0;
    public int? Tokens => GetInt("tokens");
    /// <summary>How the answer ends: <c>stop</c> (the default), <c>length</c>, <c>filter</c> or <c>blocked</c>.</summary>
    public string Finish => Get("finish") ?? "stop";
    public int? Context => GetInt("context");
    public bool Redacted => _values.ContainsKey("redacted");
    /// <summary>Each event leaves in pieces cut inside its multi-byte characters.</summary>
    public bool SplitCharacters => _values.ContainsKey("split-chars");
    /// <summary>Seconds a rate-limited (429) answer asks the client to wait.</summary>
    public int RetryAfter => GetInt("retry-after") ?? 0;

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    int? GetInt(string name) => int.TryParse(Get(name), out var n) ? n : null;

    /// <summary>Reads the directives of <paramref name="text"/> (later ones win).</summary>
    public static Directives Parse(string text)
    {
        if (!text.Contains("[[sim:", StringComparison.Ordinal)) return None;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match m in Pattern().Matches(text))
            values[m.Groups[1].Value] = m.Groups[2].Success ? m.Groups[2].Value.Trim() : "";
        return new Directives(values);
    }

    /// <summary>The text without its directives, so echoes show only what a person wrote.</summary>
    public static string Strip(string text) =>
        text.Contains("[[sim:", StringComparison.Ordinal) ? Pattern().Replace(text, "") : text;

    // Eats the blanks before a directive so "hi [[sim:x]]" echoes as "hi".
    [GeneratedRegex(@"[ \t]*\[\[sim:([A-Za-z0-9_\-]+)(?:=([^\]]*))?\]\]")]
    private static partial Regex Pattern();
}
