namespace ChatMerge.Merge;

/// <summary>
/// Splits merge sources into groups whose rendered transcript fits the merge model's budget;
/// each group is merged on its own and the partial results are merged again. A message that does not
/// fit a group by itself is not cut: the model could only copy it out again, and a piece of reasoning
/// cannot be written back without its answer. It forms a group of its own, marked
/// <see cref="SourceConversation.AsWritten"/>, and goes into the merged chat as it was written.
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

        if (!sources.Any(s => s.AsWritten) && Fits(sources)) return [sources];

        var pieces = new List<SourceConversation>();
        foreach (var conversation in sources)
        {
            if (conversation.AsWritten || Fits([conversation])) pieces.Add(conversation);
            else pieces.AddRange(Split(conversation, budgetTokens, count));
        }

        return Pack(pieces, p => p.AsWritten, p => count(MergeTranscript.RenderSources([p])), budgetTokens, Fits);
    }

    private static List<SourceConversation> Split(SourceConversation conversation, int budget, Func<string, int> count)
    {
        // The chat's system prompt comes first (MergeStore.ToSource) and is labelled on every part. Any other
        // system message, such as a concatenate merge's note where the source changes, goes with the part it
        // falls in: repeated on every part, hundreds of them would leave no room for the turns.
        var system = conversation.Messages.Take(1).Where(MergeTranscript.IsSystem).ToList();
        var measured = conversation with { Title = conversation.Title + PlaceholderSuffix };
        SourceConversation Part(IEnumerable<SourceMessage> messages) => measured with { Messages = [.. system, .. messages] };
        bool Fits(IEnumerable<SourceMessage> messages) => count(MergeTranscript.RenderSources([Part(messages)])) <= budget;

        var headerCost = count(MergeTranscript.RenderSources([Part([])]));
        if (headerCost > budget)
            throw new ArgumentException(
                $"The token budget of {budget} is too small: the labels of conversation '{conversation.Title}' alone need {headerCost} tokens.");

        var tooLarge = new HashSet<SourceMessage>();
        var units = conversation.Messages.Skip(system.Count).ToList();
        foreach (var message in units)
        {
            var estimate = headerCost + count(MergeTranscript.RenderMessage(message));
            if (estimate + SeamMargin > budget && !Fits([message])) tooLarge.Add(message);
        }

        // Notes alone, between messages kept as written, leave the merge model nothing to merge.
        var groups = Pack(units, tooLarge.Contains, m => count(MergeTranscript.RenderMessage(m)), budget - headerCost, g => Fits(g))
            .Where(g => !g.All(MergeTranscript.IsSystem))
            .ToList();
        return groups
            .Select((g, k) => conversation with
            {
                Title = $"{conversation.Title} (part {k + 1} of {groups.Count})",
                // A message kept as written stands alone.
                Messages = tooLarge.Contains(g[0]) ? g : [.. system, .. g],
                AsWritten = tooLarge.Contains(g[0]),
            })
            .ToList();
    }

    /// <summary>
    /// Greedy in order on additive estimates, then each group checked exactly and shortened if needed.
    /// An item that must stand alone gets a group of its own and is never measured.
    /// </summary>
    private static List<IReadOnlyList<T>> Pack<T>(
        List<T> items, Func<T, bool> alone, Func<T, int> cost, int limit, Func<IReadOnlyList<T>, bool> fits)
    {
        var costs = items.Select(item => alone(item) ? 0 : cost(item)).ToList();
        var groups = new List<IReadOnlyList<T>>();
        var i = 0;
        while (i < items.Count)
        {
            var group = new List<T> { items[i] };
            long total = costs[i];
            if (!alone(items[i++]))
            {
                while (i < items.Count && !alone(items[i]) && total + costs[i] <= limit)
                {
                    group.Add(items[i]);
                    total += costs[i++];
                }
                while (group.Count > 1 && !fits(group))
                {
                    group.RemoveAt(group.Count - 1);
                    i--;
                }
            }
            groups.Add(group);
        }
        return groups;
    }
}
