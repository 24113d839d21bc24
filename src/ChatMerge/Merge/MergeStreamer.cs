using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using ChatMerge.Completions;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Providers;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace ChatMerge.Merge;

/// <summary>One merge in progress: its request, its tokens, and what it produced or why it failed.</summary>
internal sealed class MergeRun(MergeJob job, ChatMergeMetrics.StreamTracker tracked, CancellationToken requestAborted, CancellationToken stop)
{
    public MergeJob Job => job;
    public ChatMergeMetrics.StreamTracker Tracked => tracked;
    public CancellationToken RequestAborted => requestAborted;

    /// <summary>The client went away or the server is stopping.</summary>
    public CancellationToken Stop => stop;

    /// <summary>Set once something failed: the stream ends with it and nothing is stored.</summary>
    public string? Error { get; set; }

    public List<MergedMessage>? Messages { get; set; }
}

/// <summary>
/// Runs a merge as a stream of events and stores the result only when it is complete: a provider
/// fault, an unusable answer or a client that goes away leaves no chat and no merge record.
/// </summary>
internal sealed partial class MergeStreamer(
    ChatClientFactory clients, IOptions<ProvidersOptions> options, IHostApplicationLifetime lifetime, ChatMergeMetrics metrics, ILogger<MergeStreamer> logger)
{
    public ProvidersOptions Options => options.Value;

    public async IAsyncEnumerable<SseItem<StreamEvent>> StreamAsync(
        ChatMergeDbContext db, MergeJob job, [EnumeratorCancellation] CancellationToken requestAborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        using var tracked = metrics.TrackMerge(job.Provider, job.Model);
        var run = new MergeRun(job, tracked, requestAborted, stop.Token);

        var loaded = await MergeStore.LoadMessagesAsync(db, job.Chats, stop.Token);
        yield return Progress($"Loaded {job.Chats.Count} chats with {loaded.Values.Sum(m => m.Count)} messages.");

        var steps = job.Mode == MergeModes.Concatenate
            ? MergeConcatenation.RunAsync(this, run, loaded)
            : new MergeSynthesis(this, run).RunAsync(job.Chats.Select(c => MergeStore.ToSource(c, loaded[c.Id])).ToList());
        await foreach (var item in steps)
            yield return item;

        if (run.Error is not null || run.Messages is null)
        {
            tracked.Failed(run.Error is null ? "EmptyMerge" : "MergeError");
            yield return StreamEvent.Of(StreamEvent.Error, run.Error ?? "The merge produced nothing; nothing was stored.");
            yield break;
        }

        // The merge is written: it is saved even while the server shuts down (the host waits for open
        // requests, and saving takes milliseconds), but not for a client that went away.
        requestAborted.ThrowIfCancellationRequested();
        yield return Progress($"Saving the merged chat ({run.Messages.Count} messages).");
        Chat? chat = null;
        try
        {
            chat = await MergeStore.SaveAsync(db, job, run.Messages, requestAborted);
        }
        catch (Exception e) when (!requestAborted.IsCancellationRequested)
        {
            // The client still listens: it is told, as for any other failure, instead of seeing the
            // connection break after "Saving". The transaction was rolled back; nothing is left behind.
            LogStoreFailure(logger, e.GetType().Name);
        }
        if (chat is null)
        {
            tracked.Failed("StoreError");
            yield return StreamEvent.Of(StreamEvent.Error, "The merged chat could not be saved to the database. Nothing was stored; try again in a moment.");
            yield break;
        }
        LogMerged(logger, job.Chats.Count, chat.Id, job.Mode, job.Provider, job.Model, run.Messages.Count);
        yield return StreamEvent.Of(StreamEvent.MergeComplete, chat.Id.ToString());
    }

    public static SseItem<StreamEvent> Progress(string text) => StreamEvent.Of(StreamEvent.Progress, text);

    /// <summary>Failure of one model call; the caller decides whether it ends the merge.</summary>
    public sealed class CallOutcome
    {
        public string? Error { get; set; }

        /// <summary>The answer was cut at the call's output limit; <see cref="Error"/> says so, the caller says what to do.</summary>
        public bool ReachedLimit { get; set; }
    }

    /// <summary>
    /// One call to the merge model, its pieces relayed as <c>reasoning</c> and <c>content</c> events.
    /// A provider failure lands in <paramref name="outcome"/>; a client that goes away ends the stream.
    /// </summary>
    public async IAsyncEnumerable<SseItem<StreamEvent>> CallAsync(
        MergeRun run, List<ChatMessage> prompt, int maxTokens, Answer answer, CallOutcome outcome)
    {
        var job = run.Job;
        var call = clients.Create(job.Provider, job.Model, job.ApiKey, maxTokens: maxTokens);
        await using var pieces = ModelStream.ReadAsync(call, prompt, answer, Options, run.Stop).GetAsyncEnumerator(run.Stop);
        while (true)
        {
            try
            {
                if (!await pieces.MoveNextAsync())
                    break;
            }
            catch (Exception e) when (!run.RequestAborted.IsCancellationRequested)
            {
                outcome.Error = lifetime.ApplicationStopping.IsCancellationRequested
                    ? "The server is shutting down."
                    : ProviderErrors.Describe(job.Provider, e, job.ApiKey, Options.For(job.Provider).BaseUrl);
                LogProviderFailure(logger, job.Provider, job.Model, e.GetType().Name);
                yield break;
            }
            var piece = pieces.Current;
            run.Tracked.Token();
            yield return StreamEvent.Of(piece.IsReasoning ? StreamEvent.Reasoning : StreamEvent.Content, piece.Text);
        }
        run.Tracked.Tokens(answer.Usage?.InputTokenCount, answer.Usage?.OutputTokenCount);
        if (answer.FinishReason == ChatFinishReason.Length)
        {
            outcome.ReachedLimit = true;
            outcome.Error = $"The merge model stopped at its output limit ({maxTokens} tokens) before it finished.";
        }
        // A filter's cut or an empty answer is no merged conversation either; what did arrive is not stored.
        else if (ProviderErrors.Unfinished(job.Provider, answer.FinishReason, answer.FinishDetails, answer.Text.Length > 0, maxTokens) is { } unfinished)
            outcome.Error = unfinished;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Merge model {Provider} {Model} failed: {ExceptionType}")]
    private static partial void LogProviderFailure(ILogger logger, string provider, string model, string exceptionType);

    [LoggerMessage(Level = LogLevel.Error, Message = "The merged chat could not be stored: {ExceptionType}")]
    private static partial void LogStoreFailure(ILogger logger, string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merged {Count} chats into {ChatId} ({Mode}, {Provider} {Model}, {Messages} messages)")]
    private static partial void LogMerged(ILogger logger, int count, Guid chatId, string mode, string provider, string model, int messages);
}
