using System.ComponentModel.DataAnnotations;
using System.Net.ServerSentEvents;
using ChatMerge.Chats;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Keys;
using ChatMerge.Providers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatMerge.Completions;

public sealed record CompletionRequest(
    [property: Required(ErrorMessage = "content must not be empty."), MaxLength(Limits.MessageLength)] string Content,
    [property: Range(0.0, 2.0, ErrorMessage = "temperature must be between 0 and 2.")] double? Temperature = null,
    [property: Range(1, 1_000_000, ErrorMessage = "max_tokens must be between 1 and 1000000.")] int? MaxTokens = null);

internal static class CompletionsApi
{
    public static RouteHandlerBuilder MapCompletions(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/chats/{id}/completions", Complete)
            .WithTags("Chats")
            .WithSummary("Stream the model's answer to a new user message (Server-Sent Events)")
            .Produces<StreamEvent>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithDescription("Events: data: {\"type\": \"reasoning\"|\"content\"|\"error\"|\"done\", \"data\": \"...\"}. " +
                             "done carries the id of the stored assistant message, and a notice when the answer was cut short " +
                             "(max_tokens, a content filter) and is stored as incomplete.");

    private static async Task<Results<ServerSentEventsResult<StreamEvent>, ProblemHttpResult>> Complete(
        string id, CompletionRequest request, IServiceScopeFactory scopes, KeyVault vault, ChatMessages messages, CompletionStreamer streamer,
        IOptions<ProvidersOptions> providers, HttpContext http, CancellationToken cancellationToken)
    {
        if (!Problems.TryParseId(id, out var chatId))
            return Problems.InvalidId("chat_id", id);

        // The user's message is stored before the provider is called: it is never lost. Not when the
        // chat has no usable key: the request is refused.
        var question = new Message { ChatId = chatId, Role = "user", Content = request.Content };
        string? apiKey = null, keyProblem = null;
        Message? QuestionFor(CompletionStart read)
        {
            (apiKey, keyProblem) = vault.ResolveForCall(read.Chat.Provider, read.StoredKey);
            return apiKey is null ? null : question;
        }

        if (!messages.TryStartAlone(chatId, QuestionFor, out var start))
        {
            // The reads get a database context and one connection of their own, given back before the
            // stream: the request lasts as long as the answer, and hundreds of answers stream at once.
            await using (var scope = scopes.CreateAsyncScope())
                start = await CompletionStart.ReadAsync(scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>(), chatId, cancellationToken);
            if (start is not null && QuestionFor(start) is not null)
            {
                try
                {
                    await messages.AppendAsync(chatId, [question], cancellationToken);
                }
                catch (DbUpdateException)
                {
                    // Deleted since it was read: the same answer as if the delete had come first.
                    if (await ChatQueries.ExistsAsync(scopes, chatId))
                        throw;
                    start = null;
                }
            }
        }
        if (start is null)
            return ChatQueries.ChatNotFound(chatId);
        if (apiKey is null)
            return Problems.BadRequest(keyProblem!);
        var (chat, history) = (start.Chat, start.History);
        history.Add(question);

        return EventStream.Open(http, streamer.StreamAsync(chat, history, apiKey, request, http.RequestAborted), providers.Value, ChatMergeMetrics.Completion);
    }
}
