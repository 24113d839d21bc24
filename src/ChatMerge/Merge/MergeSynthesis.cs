using System.Net.ServerSentEvents;
using ChatMerge.Completions;
using ChatMerge.Providers;
using Microsoft.Extensions.AI;

namespace ChatMerge.Merge;

/// <summary>
/// The synthesize mode: the merge model writes one conversation from all sources. Sources that do
/// not fit its context window together are merged in parts, and the parts' results merged again,
/// round after round, until one result is left.
/// </summary>
internal sealed class MergeSynthesis(MergeStreamer streamer, MergeRun run)
{
    private const int PromptMargin = 32;

    private readonly MergeJob _job = run.Job;
    private readonly ProviderSettings _settings = streamer.Options.For(run.Job.Provider);

    private int Count(string text) => TokenCounter.Shared.Count(_job.Provider, text);

    /// <summary>
    /// Tokens for each answer and for the conversations of each part. The merge of a part is about as long
    /// as the part, less repetition, so what the prompt leaves of the window is shared evenly between the
    /// two, the answer never above the configured output limit; and a part is kept a fifth under the
    /// answer's size, for the notes that attribute alternatives to their sources.
    /// </summary>
    internal static (int Answer, int Part) Budgets(int window, int maxOutputTokens, int reservedTokens)
    {
        var answer = Math.Min(maxOutputTokens, (window - reservedTokens) / 2);
        return (answer, answer - answer / 5);
    }

    public async IAsyncEnumerable<SseItem<StreamEvent>> RunAsync(List<SourceConversation> sources)
    {
        var window = _settings.ContextWindow(_job.Model);
        // Thinking comes on top of the answer (Claude, Gemini) and counts against the window.
        var thinking = _settings.IsReasoningModel(_job.Model) ? Math.Max(1024, _settings.ThinkingBudget) : 0;
        var reserved = thinking + Count(MergePrompts.SynthesisSystem) + Count(MergePrompts.SynthesisUser(sources.Count, _job.Instructions, ""))
                       + 2 * TokenCounter.MessageOverhead + PromptMargin;
        var (answerTokens, budget) = Budgets(window, _settings.MaxOutputTokens, reserved);
        if (budget < 256)
        {
            run.Error = $"The context window of {_job.Model} ({window} tokens) leaves no room for the conversations and their merged " +
                        $"answer after the merge prompt, the guidance and the thinking ({reserved} tokens). Choose a model with a larger window.";
            yield break;
        }

        IReadOnlyList<SourceConversation> items = sources;
        for (var round = 1; ; round++)
        {
            IReadOnlyList<IReadOnlyList<SourceConversation>> groups;
            try
            {
                groups = MergePlanner.Plan(items, budget, Count);
            }
            catch (ArgumentException e)
            {
                run.Error = e.Message;
                yield break;
            }
            // After the first round each result is already merged: when no two of them fit one
            // request together, another round could not shrink them, so they are joined in order.
            if (round > 1 && groups.Count >= items.Count)
            {
                yield return MergeStreamer.Progress($"The {items.Count} merged parts do not fit one request together; joining them in order.");
                break;
            }
            yield return MergeStreamer.Progress(groups.Count == 1
                ? $"Merging {Describe(groups[0])} with {_job.Provider} {_job.Model}."
                : $"Round {round}: merging in {groups.Count} parts, each small enough for {_job.Model} to read in its {window}-token " +
                  $"context window and write back within {answerTokens} tokens.");

            var results = new List<SourceConversation>(groups.Count);
            for (var k = 0; k < groups.Count; k++)
            {
                var group = groups[k];
                if (round > 1 && group is [var carried] && items.Contains(carried))
                {
                    results.Add(carried);
                    continue;
                }
                if (group is [{ AsWritten: true } kept])
                {
                    yield return MergeStreamer.Progress($"Round {round}, part {k + 1} of {groups.Count}: \"{kept.Title}\" is one message " +
                                                        $"too large for {_job.Model} to rewrite; it is kept as written.");
                    results.Add(kept);
                    continue;
                }
                if (groups.Count > 1)
                    yield return MergeStreamer.Progress($"Round {round}, part {k + 1} of {groups.Count}: merging {Describe(group)}.");
                var turns = new List<MergedTurn>();
                await foreach (var item in MergeGroupAsync(group, answerTokens, turns))
                    yield return item;
                if (run.Error is not null)
                    yield break;
                results.Add(new SourceConversation($"Merged part {results.Count + 1}", _job.Provider, _job.Model,
                    turns.Select(t => new SourceMessage(t.Role == TurnRole.User ? "user" : "assistant", t.Content, t.Reasoning)).ToList()));
            }
            items = results;
            if (items.Count == 1)
                break;
        }
        run.Messages = items.SelectMany(c => c.Messages)
            .Select(m => new MergedMessage(m.Role, m.Content, m.Reasoning, IsComplete: m.IsComplete))
            .ToList();
    }

    private async IAsyncEnumerable<SseItem<StreamEvent>> MergeGroupAsync(IReadOnlyList<SourceConversation> group, int answerTokens, List<MergedTurn> turns)
    {
        var sources = MergeTranscript.RenderSources(group);
        List<ChatMessage> prompt =
        [
            new(ChatRole.System, MergePrompts.SynthesisSystem),
            new(ChatRole.User, MergePrompts.SynthesisUser(group.Count, _job.Instructions, sources)),
        ];
        var answer = new Answer();
        var outcome = new MergeStreamer.CallOutcome();
        await foreach (var item in streamer.CallAsync(run, prompt, answerTokens, answer, outcome))
            yield return item;
        if (outcome.Error is not null)
        {
            run.Error = outcome.Error + (outcome.ReachedLimit ? LimitAdvice(answerTokens) : "") + " Nothing was stored.";
            yield break;
        }
        var parsed = MergeTranscriptParser.ParseAnswer(answer.Text.ToString());
        // The answer keeps every kind of turn it was given: a part of a long chat may hold only user turns
        // or only answers, a whole conversation holds both.
        var given = Roles(MergeTranscriptParser.Parse(sources).Turns);
        var written = Roles(parsed.Turns);
        if (written.Count == 0 || !given.IsSubsetOf(written))
        {
            run.Error = "The merge model did not answer in the [USER]: / [ASSISTANT]: format" +
                        (parsed.Turns.Count == 0 ? "" : $" with {Describe(given)} turns") + ". Nothing was stored; try again or choose another merge model.";
            yield break;
        }
        turns.AddRange(parsed.Turns);
    }

    /// <summary>What lets the answer grow: the output limit, unless the context window is what held it below that.</summary>
    private string LimitAdvice(int answerTokens) => answerTokens < _settings.MaxOutputTokens
        ? $" Merge fewer or shorter chats, or choose a model with a context window larger than {_settings.ContextWindow(_job.Model)} tokens."
        : $" Raise Providers:{ProviderErrors.DisplayName(_job.Provider)}:MaxOutputTokens or merge fewer or shorter chats.";

    private static HashSet<TurnRole> Roles(IEnumerable<MergedTurn> turns) => turns.Select(t => t.Role).ToHashSet();

    private static string Describe(HashSet<TurnRole> roles) =>
        roles.Count == 2 ? "both user and assistant" : roles.Contains(TurnRole.User) ? "user" : "assistant";

    private static string Describe(IReadOnlyList<SourceConversation> group) =>
        group.Count == 1 ? $"\"{group[0].Title}\"" : $"{group.Count} conversations";
}
