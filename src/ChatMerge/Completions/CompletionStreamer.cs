using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using ChatMerge.Chats;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Providers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatMerge.Completions;

/// <summary>
/// Relays one answer from the chat's provider as events and stores it. Whatever the user saw is
/// stored: on a provider fault, a client that goes away or a shutdown, the partial answer is kept
/// and marked incomplete.
/// </summary>
internal sealed partial class CompletionStreamer(
    ChatClientFactory clients, IOptions<ProvidersOptions> options, ChatMessages messages, IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime, ChatMergeMetrics metrics, ILogger<CompletionStreamer> logger)
{
    public async IAsyncEnumerable<SseItem<StreamEvent>> StreamAsync(
        Chat chat, IReadOnlyList<Message> messages, string apiKey, CompletionRequest request,
        [EnumeratorCancellation] CancellationToken requestAborted)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, lifetime.ApplicationStopping);
        using var tracked = metrics.TrackCompletion(chat.Provider, chat.Model);
        var answer = new Answer();
        var stored = false;
        string? error = null;
        try
        {
            var history = History.Build(chat.SystemPrompt, messages, chat.Provider, chat.Model);
            var call = clients.Create(chat.Provider, chat.Model, apiKey, request.Temperature, request.MaxTokens);
            await using var pieces = ModelStream.ReadAsync(call, history, answer, options.Value, stop.Token).GetAsyncEnumerator(stop.Token);
            while (true)
            {
                try
                {
                    if (!await pieces.MoveNextAsync())
                        break;
                }
                catch (Exception e) when (!requestAborted.IsCancellationRequested)
                {
                    error = lifetime.ApplicationStopping.IsCancellationRequested
                        ? answer.IsEmpty ? "The server is shutting down; try again in a moment." : "The server is shutting down; the answer so far was kept."
                        : ProviderErrors.Describe(chat.Provider, e, apiKey, options.Value.For(chat.Provider).BaseUrl);
                    LogProviderFailure(logger, chat.Provider, chat.Model, chat.Id, e.GetType().Name);
                    tracked.Failed(e.GetType().Name);
                    break;
                }
                var piece = pieces.Current;
                tracked.Token();
                yield return StreamEvent.Of(piece.IsReasoning ? StreamEvent.Reasoning : StreamEvent.Content, piece.Text);
            }

            // Cut off at the token limit, stopped by a filter, or empty: not an answer to store as complete.
            // Text the user already reads stays theirs (done, with a notice); with none there is only the reason.
            string? notice = null;
            if (error is null && ProviderErrors.Unfinished(chat.Provider, answer.FinishReason, answer.FinishDetails, answer.Text.Length > 0,
                    request.MaxTokens ?? options.Value.For(chat.Provider).MaxOutputTokens) is { } unfinished)
            {
                LogUnfinished(logger, chat.Provider, chat.Model, chat.Id, answer.FinishReason?.Value);
                tracked.Failed("unfinished");
                if (answer.Text.Length > 0)
                    notice = unfinished;
                else
                    error = unfinished;
            }

            if (error is not null)
            {
                // The provider's fault is the one to tell; a failure to store the partial answer is logged.
                if (!answer.IsEmpty)
                    await TryStoreAsync(chat, answer, complete: false);
                stored = true;
                yield return StreamEvent.Of(StreamEvent.Error, error);
                yield break;
            }

            var (message, problem) = await TryStoreAsync(chat, answer, complete: notice is null);
            stored = true;
            yield return message is null
                ? StreamEvent.Of(StreamEvent.Error, problem!)
                : new StreamEvent(StreamEvent.Done, message.Id.ToString()) { Notice = notice }.ToSse();
        }
        finally
        {
            tracked.Tokens(answer.Usage?.InputTokenCount, answer.Usage?.OutputTokenCount);
            // The client went away (or the loop above failed before storing): keep what it saw.
            if (!stored && !answer.IsEmpty)
                await TryStoreAsync(chat, answer, complete: false);
        }
    }

    /// <summary>
    /// Stores the answer, or says in one sentence why it could not: the stream then ends with an
    /// error event, not with a broken connection.
    /// </summary>
    private async Task<(Message? Message, string? Problem)> TryStoreAsync(Chat chat, Answer answer, bool complete)
    {
        try
        {
            return (await StoreAsync(chat, answer, complete), null);
        }
        catch (Exception e)
        {
            LogStoreFailure(logger, chat.Id, e.GetType().Name);
            return (null, await ChatGoneAsync(chat.Id, e)
                ? "The chat was deleted while the answer was streaming; the answer was not stored."
                : "The answer could not be stored.");
        }
    }

    /// <summary>Whether a refused write means that the chat is gone (deleted while its answer streamed).</summary>
    private async Task<bool> ChatGoneAsync(Guid chatId, Exception refused)
    {
        if (refused is not DbUpdateException)
            return false;
        try
        {
            return !await ChatQueries.ExistsAsync(scopes, chatId);
        }
        catch (Exception)
        {
            // The database cannot be asked either; the general sentence says enough.
            return false;
        }
    }

    private async Task<Message> StoreAsync(Chat chat, Answer answer, bool complete)
    {
        var message = new Message
        {
            ChatId = chat.Id,
            Role = "assistant",
            Content = answer.Text.ToString(),
            ReasoningTrace = answer.Reasoning.Length > 0 ? answer.Reasoning.ToString() : null,
            ReasoningData = answer.ReasoningData,
            IsComplete = complete,
            Provider = chat.Provider,
            Model = chat.Model,
            InputTokens = (int?)answer.Usage?.InputTokenCount,
            OutputTokens = (int?)answer.Usage?.OutputTokenCount,
        };
        // Not the request's token: a partial answer is stored even when the client has gone.
        await messages.AppendAsync(chat.Id, [message], CancellationToken.None);
        return message;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The answer for chat {ChatId} could not be stored: {ExceptionType}")]
    private static partial void LogStoreFailure(ILogger logger, Guid chatId, string exceptionType);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Provider} {Model} did not finish the answer for chat {ChatId}: {FinishReason}")]
    private static partial void LogUnfinished(ILogger logger, string provider, string model, Guid chatId, string? finishReason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Provider} {Model} failed for chat {ChatId}: {ExceptionType}")]
    private static partial void LogProviderFailure(ILogger logger, string provider, string model, Guid chatId, string exceptionType);
}
