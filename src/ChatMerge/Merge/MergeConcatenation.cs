using System.Net.ServerSentEvents;
using ChatMerge.Completions;
using ChatMerge.Data;
using Microsoft.Extensions.AI;

namespace ChatMerge.Merge;

/// <summary>
/// The concatenate mode, as the original app merged: every message of every source in time order,
/// a system note wherever the source changes, reasoning kept, and one short bridging message from
/// the merge model. The bridge is a courtesy: if the model fails, a plain text takes its place.
/// </summary>
internal static class MergeConcatenation
{
    private const int BridgeTokens = 1024;

    public static async IAsyncEnumerable<SseItem<StreamEvent>> RunAsync(
        MergeStreamer streamer, MergeRun run, IReadOnlyDictionary<Guid, List<Message>> loaded)
    {
        var job = run.Job;
        var order = job.Chats.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var timeline = loaded.Values.SelectMany(m => m)
            .OrderBy(m => m.CreatedAt).ThenBy(m => order[m.ChatId]).ThenBy(m => m.Id);

        var messages = new List<MergedMessage>();
        Guid? current = null;
        foreach (var message in timeline)
        {
            if (message.ChatId != current)
            {
                current = message.ChatId;
                messages.Add(new MergedMessage("system", MergePrompts.SourceMarker(job.Chats[order[message.ChatId]]), null));
            }
            messages.Add(new MergedMessage(message.Role, message.Content, message.ReasoningTrace, message.Provider, message.Model, message.IsComplete));
        }
        yield return MergeStreamer.Progress($"Copied {loaded.Values.Sum(m => m.Count)} messages in time order.");
        yield return MergeStreamer.Progress($"Asking {job.Provider} {job.Model} for a bridging message.");

        var lastAsked = job.Chats.ToDictionary(c => c.Id, c => loaded[c.Id].LastOrDefault(m => m.Role == "user")?.Content);
        List<ChatMessage> prompt =
        [
            new(ChatRole.System, MergePrompts.BridgeSystem),
            new(ChatRole.User, MergePrompts.BridgeUser(job.Chats, lastAsked, job.Instructions)),
        ];
        var answer = new Answer();
        var outcome = new MergeStreamer.CallOutcome();
        await foreach (var item in streamer.CallAsync(run, prompt, BridgeTokens, answer, outcome))
            yield return item;

        var bridge = answer.Text.ToString().Trim();
        if (outcome.Error is not null || bridge.Length == 0)
        {
            bridge = MergePrompts.FallbackBridge(job.Chats);
            yield return MergeStreamer.Progress(outcome.ReachedLimit
                ? $"The merge model's bridging message ran past its limit of {BridgeTokens} tokens; a plain one takes its place."
                : "The merge model gave no bridging message" + (outcome.Error is null ? "" : $" ({outcome.Error})") + "; a plain one takes its place.");
            yield return StreamEvent.Of(StreamEvent.Content, bridge);
        }
        messages.Add(new MergedMessage("assistant", bridge,
            outcome.Error is null && answer.Reasoning.Length > 0 ? answer.Reasoning.ToString() : null, job.Provider, job.Model));
        run.Messages = messages;
    }
}
