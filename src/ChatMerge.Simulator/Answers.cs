namespace ChatMerge.Simulator;

/// <summary>A chat request reduced to what every protocol has in common.</summary>
internal sealed class ChatInput
{
    public string Model { get; init; } = "";
    public bool Stream { get; init; }
    public bool WantsReasoning { get; init; }
    /// <summary>The request's output limit (reasoning included), when it sets one.</summary>
    public int? MaxTokens { get; init; }
    public string? System { get; set; }
    /// <summary>Non-system messages, role "user" or "assistant".</summary>
    public List<(string Role, string Text)> Turns { get; } = [];
    public int TotalChars { get; set; }

    public string LastUserText
    {
        get
        {
            for (var i = Turns.Count - 1; i >= 0; i--)
                if (Turns[i].Role == "user") return Turns[i].Text;
            return "";
        }
    }
}

internal enum Fault { None, Auth, RateLimit, Server, Unavailable, Overloaded, ContextLength, ErrorMid, Drop, Malformed, Stall, StallStart }

/// <summary>What to send back: chunks of reasoning and text, plus the fault to stage.</summary>
internal sealed class Plan
{
    public required Directives Directives { get; init; }
    public required Fault Fault { get; init; }
    public List<string> Reasoning { get; init; } = [];
    public List<string> Text { get; init; } = [];
    public int InputTokens { get; init; }
    public int ContextLimit { get; init; }
    /// <summary>The answer was cut at the request's output limit: the provider says so in its finish reason.</summary>
    public bool HitMaxTokens { get; init; }
    public int OutputTokens => Text.Count;
    public int ReasoningTokens => Reasoning.Count;
    public string FullText => string.Concat(Text);
    public string FullReasoning => string.Concat(Reasoning);

    /// <summary>Mid-stream faults strike after this many text chunks.</summary>
    public int FaultAt => Math.Min(3, Text.Count);
}

internal static class Answers
{
    public static Plan Plan(ChatInput input, SimulatorOptions options)
    {
        var last = input.LastUserText;
        var directives = Directives.Parse(last);
        var inputTokens = Math.Max(1, input.TotalChars / 4);
        var fault = ParseFault(directives.Fault);
        var limit = directives.Context ?? 0;
        if (options.MaxContextTokens > 0 && (limit == 0 || options.MaxContextTokens < limit)) limit = options.MaxContextTokens;
        if (limit > 0 && input.TotalChars / 4 > limit && fault == Fault.None) fault = Fault.ContextLength;

        var clean = Directives.Strip(last).Trim();
        List<string> text;
        if (directives.Tokens is int n and >= 0)
            text = [.. Enumerable.Range(1, n).Select(i => i < n ? $"tok{i} " : $"tok{i}")];
        else if (Merge.IsMergeRequest(input.System, last))
            text = SplitEvery(Merge.Answer(Directives.Strip(last), directives.Merge), 16);
        else
            text = SplitWords($"You said: \"{clean}\" ({input.Turns.Count} messages, system: {(input.System is null ? "no" : "yes")})");

        var reasoning = input.WantsReasoning
            ? SplitWords($"Thinking about: {(clean.Length > 40 ? clean[..(char.IsHighSurrogate(clean[39]) ? 39 : 40)] : clean)}")
            : [];
        if (reasoning.Count == 1) reasoning = SplitEvery(reasoning[0], Math.Max(1, reasoning[0].Length / 2));

        var cut = input.MaxTokens is int max && Cut(text, Math.Max(0, max - reasoning.Count), out text);
        return new Plan { Directives = directives, Fault = fault, Reasoning = reasoning, Text = text, InputTokens = inputTokens, ContextLimit = limit, HitMaxTokens = cut };
    }

    /// <summary>
    /// Keeps the chunks up to the end of the <paramref name="tokens"/>-th word: a word stands for a token, as in
    /// the usage of echo answers. Real tokenizers split more finely, so a limit the simulator hits a real model hits too.
    /// </summary>
    static bool Cut(List<string> chunks, int tokens, out List<string> kept)
    {
        var full = string.Concat(chunks);
        var end = 0;
        for (var words = 0; end < full.Length; end++)
        {
            var starts = !char.IsWhiteSpace(full[end]) && (end == 0 || char.IsWhiteSpace(full[end - 1]));
            if (starts && ++words > tokens) break;
        }
        kept = chunks;
        if (end == full.Length) return false;

        kept = [];
        var pos = 0;
        foreach (var chunk in chunks)
        {
            if (pos >= end) break;
            kept.Add(chunk.Length <= end - pos ? chunk : chunk[..(end - pos)]);
            pos += chunk.Length;
        }
        return true;
    }

    static Fault ParseFault(string? value) => value switch
    {
        null or "" => Fault.None,
        "401" => Fault.Auth,
        "429" => Fault.RateLimit,
        "500" => Fault.Server,
        "503" => Fault.Unavailable,
        "529" => Fault.Overloaded,
        "error-mid" => Fault.ErrorMid,
        "drop" => Fault.Drop,
        "malformed" => Fault.Malformed,
        "stall" => Fault.Stall,
        "stall-start" => Fault.StallStart,
        "context" => Fault.ContextLength,
        _ => Fault.None,
    };

    /// <summary>Word-sized chunks, each keeping its trailing blank, like a model's tokens.</summary>
    public static List<string> SplitWords(string s)
    {
        var chunks = new List<string>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] != ' ') continue;
            chunks.Add(s[start..(i + 1)]);
            start = i + 1;
        }
        if (start < s.Length) chunks.Add(s[start..]);
        return chunks;
    }

    /// <summary>Fixed-size slices; cuts through markers on purpose so clients must reassemble them.</summary>
    public static List<string> SplitEvery(string s, int size)
    {
        var chunks = new List<string>();
        for (var i = 0; i < s.Length;)
        {
            // Never between the halves of a surrogate pair: a provider sends whole characters.
            var n = Math.Min(size, s.Length - i);
            if (n > 1 && i + n < s.Length && char.IsHighSurrogate(s[i + n - 1])) n--;
            chunks.Add(s.Substring(i, n));
            i += n;
        }
        if (chunks.Count == 0) chunks.Add("");
        return chunks;
    }
}
