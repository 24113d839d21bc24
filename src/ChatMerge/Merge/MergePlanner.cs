namespace ChatMerge.Merge;

/// <summary>
/// Splits merge sources into groups whose rendered transcript fits the merge model's budget;
/// each group is merged on its own and the partial results are merged again.
/// </summary>
internal static class MergePlanner
{
    // Parts are sized before their count is known, so they are measured under a title at least
    // as long as any real "(part k of n)" one.
    private const string PlaceholderSuffix = " (part 99999 of 99999)";

    // Token counts are nearly additive: a seam between two texts moves the count by a token or
    // two. Items estimated to be this far under the budget skip the exact (and costly) check.
    private const int SeamMargin = 64;

    public static IReadOnlyList<IReadOnlyList<SourceConversation>> Plan(
        IReadOnlyList<SourceConversation> sources, int budgetTokens, Func<string, int> count)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(count);
        if (budgetTokens <= 0)
            throw new ArgumentException($"The token budget must be positive, not {budgetTokens}.", nameof(budgetTokens));

        bool Fits(IReadOnlyList<SourceConversation> group) => count(MergeTranscript.RenderSources(group)) <= budgetTokens;

        if (Fits(sources)) return [sources];

        var pieces = new List<SourceConversation>();
        foreach (var conversation in sources)
        {
            if (Fits([conversation])) pieces.Add(conversation);
            else pieces.AddRange(Split(conversation, budgetTokens, count));
        }

        var costs = pieces.Select(p => count(MergeTranscript.RenderSources([p]))).ToList();
        return Pack(pieces, costs, budgetTokens, Fits);
    }

    private static List<SourceConversation> Split(SourceConversation conversation, int budget, Func<string, int> count)
    {
        var system = conversation.Messages.Where(MergeTranscript.IsSystem).ToList();
        var measured = conversation with { Title = conversation.Title + PlaceholderSuffix };
        SourceConversation Part(IEnumerable<SourceMessage> messages) => measured with { Messages = [.. system, .. messages] };
        bool Fits(IEnumerable<SourceMessage> messages) => count(MergeTranscript.RenderSources([Part(messages)])) <= budget;

        var headerCost = count(MergeTranscript.RenderSources([Part([])]));
        if (headerCost > budget)
            throw new ArgumentException(
                $"The token budget of {budget} is too small: the labels of conversation '{conversation.Title}' alone need {headerCost} tokens.");

        var units = new List<SourceMessage>();
        foreach (var message in conversation.Messages.Where(m => !MergeTranscript.IsSystem(m)))
        {
            var estimate = headerCost + count(MergeTranscript.RenderMessage(message));
            if (estimate + SeamMargin <= budget || Fits([message])) units.Add(message);
            else units.AddRange(SplitMessage(message, m => Fits([m]), conversation.Title));
        }

        var costs = units.Select(u => count(MergeTranscript.RenderMessage(u))).ToList();
        var groups = Pack(units, costs, budget - headerCost, g => Fits(g));
        return groups
            .Select((g, k) => conversation with
            {
                Title = $"{conversation.Title} (part {k + 1} of {groups.Count})",
                Messages = [.. system, .. g],
            })
            .ToList();
    }

    // Reasoning and content are cut separately; a reasoning-only piece renders as a [REASONING]
    // block that the parser joins to the assistant turn after it.
    private static IEnumerable<SourceMessage> SplitMessage(SourceMessage message, Func<SourceMessage, bool> fits, string title)
    {
        var isAssistant = message.Role.Equals("assistant", StringComparison.OrdinalIgnoreCase);
        if (isAssistant && !string.IsNullOrEmpty(message.Reasoning))
        {
            foreach (var chunk in SplitText(message.Reasoning, t => fits(message with { Content = "", Reasoning = t }), title))
                yield return message with { Content = "", Reasoning = chunk };
            foreach (var chunk in SplitText(message.Content, t => fits(message with { Content = t, Reasoning = null }), title))
                yield return message with { Content = chunk, Reasoning = null };
            yield break;
        }
        var first = true;
        foreach (var chunk in SplitText(message.Content, t => fits(message with { Content = t }), title))
        {
            yield return message with { Content = chunk, Reasoning = first ? message.Reasoning : null };
            first = false;
        }
    }

    /// <summary>Cuts text into consecutive pieces that each fit, preferring paragraph, then line breaks.</summary>
    internal static List<string> SplitText(string text, Func<string, bool> fits, string title)
    {
        var chunks = new List<string>();
        var pos = 0;
        while (pos < text.Length)
        {
            var remaining = text.Length - pos;
            if (fits(text[pos..])) { chunks.Add(text[pos..]); break; }

            // Longest fitting prefix: grow geometrically, then bisect, so probes stay near the budget's size.
            int fitting = 0, failing = remaining;
            var probe = Math.Min(256, remaining - 1);
            while (probe > fitting)
            {
                if (!fits(text.Substring(pos, probe))) { failing = probe; break; }
                fitting = probe;
                probe = Math.Min(probe * 2, failing - 1);
            }
            while (failing - fitting > 1)
            {
                var mid = fitting + (failing - fitting) / 2;
                if (fits(text.Substring(pos, mid))) fitting = mid; else failing = mid;
            }
            if (fitting == 0)
                throw new ArgumentException(
                    $"The token budget is too small to hold any text of a message in conversation '{title}'.");

            var cut = PreferredCut(text.AsSpan(pos, fitting));
            if (cut < fitting && !fits(text.Substring(pos, cut))) cut = fitting;
            chunks.Add(text.Substring(pos, cut));
            pos += cut;
        }
        return chunks;
    }

    // The last paragraph or line break in the second half of the prefix; pieces that end
    // mid-sentence only when a line is longer than the budget.
    private static int PreferredCut(ReadOnlySpan<char> prefix)
    {
        var half = prefix.Length / 2;
        var paragraph = prefix.LastIndexOf("\n\n");
        if (paragraph >= half) return paragraph + 2;
        var line = prefix.LastIndexOf('\n');
        if (line >= half) return line + 1;
        // Never leave half a surrogate pair at either end.
        return prefix.Length > 1 && char.IsHighSurrogate(prefix[^1]) ? prefix.Length - 1 : prefix.Length;
    }

    /// <summary>Greedy in order on additive estimates, then each group checked exactly and shortened if needed.</summary>
    private static List<IReadOnlyList<T>> Pack<T>(List<T> items, List<int> costs, int limit, Func<IReadOnlyList<T>, bool> fits)
    {
        var groups = new List<IReadOnlyList<T>>();
        var i = 0;
        while (i < items.Count)
        {
            var group = new List<T> { items[i] };
            long total = costs[i++];
            while (i < items.Count && total + costs[i] <= limit)
            {
                group.Add(items[i]);
                total += costs[i++];
            }
            while (group.Count > 1 && !fits(group))
            {
                group.RemoveAt(group.Count - 1);
                i--;
            }
            groups.Add(group);
        }
        return groups;
    }
}
