using ChatMerge.Merge;

namespace ChatMerge.Benchmarks;

/// <summary>Deterministic chat-like text for the data and micro benchmarks: prose, a list, now and then code.</summary>
internal static class SampleText
{
    private static readonly string[] Sentences =
    [
        "The cache sits in front of the database, so a read that misses pays for both round trips.",
        "Consider the trade-off between latency and throughput before you pick a batch size.",
        "In Rust the borrow checker rejects this, because the iterator outlives the vector it reads.",
        "A retry with jitter spreads the load after an outage instead of synchronising every client.",
        "Écrire des tests d'intégration contre une vraie base évite les surprises en production.",
        "The model suggested an index on (chat_id, created_at), which matches the query's order by.",
    ];

    public static string Paragraph(int seed, int sentences = 3)
    {
        var parts = new string[sentences];
        for (var i = 0; i < sentences; i++)
            parts[i] = Sentences[(seed + i * 7) % Sentences.Length];
        var text = string.Join(' ', parts);
        return seed % 5 == 0 ? text + "\n\n```python\nfor row in rows:\n    print(row)  # [USER]: inside code is text\n```\n- one\n- two" : text;
    }

    /// <summary>Alternating user/assistant turns, the assistant's with a reasoning trace.</summary>
    public static List<MergedTurn> Turns(int count) =>
        Enumerable.Range(0, count)
            .Select(i => i % 2 == 0
                ? new MergedTurn(TurnRole.User, Paragraph(i, 2), null)
                : new MergedTurn(TurnRole.Assistant, Paragraph(i, 4), Paragraph(i + 1, 2)))
            .ToList();

    /// <summary>A merge model's answer in the strict turn format, grown to at least <paramref name="bytes"/> characters.</summary>
    public static string Transcript(int bytes)
    {
        var turns = new List<MergedTurn>();
        var text = "";
        for (var n = 64; text.Length < bytes; n *= 2)
        {
            turns = Turns(n);
            text = MergeTranscript.Render(turns);
        }
        return text;
    }
}
