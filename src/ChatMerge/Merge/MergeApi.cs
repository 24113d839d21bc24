using System.Globalization;
using System.Net.ServerSentEvents;
using ChatMerge.Chats;
using ChatMerge.Completions;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Keys;
using ChatMerge.Providers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatMerge.Merge;

internal static class MergeApi
{
    public static IEndpointRouteBuilder MapMerge(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/merge", Merge)
            .WithTags("Merge")
            .WithSummary("Merge two or more chats into one new chat (Server-Sent Events)")
            .Produces<StreamEvent>(StatusCodes.Status200OK, "text/event-stream")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithDescription("Events: data: {\"type\": \"progress\"|\"reasoning\"|\"content\"|\"error\"|\"merge_complete\", \"data\": \"...\"}. " +
                             "merge_complete carries the id of the new chat; nothing is stored when the stream ends with error.");
        routes.MapGet("/api/merges", List)
            .WithTags("Merge")
            .WithSummary("Past merges, newest first: which chats went into which merged chat")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return routes;
    }

    private static async Task<Results<ServerSentEventsResult<StreamEvent>, ProblemHttpResult>> Merge(
        MergeRequest request, ChatMergeDbContext db, KeyVault vault, MergeStreamer streamer,
        IOptions<ProvidersOptions> providers, HttpContext http, CancellationToken cancellationToken)
    {
        if (request.ChatIds.Count < 2)
            return Problems.BadRequest("chat_ids must name at least 2 chats.");
        var ids = new List<Guid>(request.ChatIds.Count);
        foreach (var raw in request.ChatIds)
        {
            if (raw is null || !Problems.TryParseId(raw, out var id))
                return Problems.InvalidId("chat_ids", raw ?? "null");
            if (ids.Contains(id))
                return Problems.BadRequest($"chat_ids names chat {id} more than once; each chat can be merged once.");
            ids.Add(id);
        }
        if (string.IsNullOrWhiteSpace(request.MergeModel))
            return Problems.BadRequest("merge_model must not be empty.");

        var found = await db.Chats.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
        var missing = ids.Where(id => !found.ContainsKey(id)).ToList();
        if (missing.Count == 1)
            return ChatQueries.ChatNotFound(missing[0]);
        if (missing.Count > 1)
            return Problems.NotFound($"Chats {string.Join(", ", missing)} not found.");

        // Nothing to merge: the model would be asked for a conversation out of none.
        if (found.Values.All(c => c.MessageCount == 0))
            return Problems.BadRequest("These chats have no messages yet: there is nothing to merge.");

        var characters = await db.Messages.AsNoTracking().Where(m => ids.Contains(m.ChatId))
            .SumAsync(m => (long)m.Content.Length + (m.ReasoningTrace == null ? 0L : (long)m.ReasoningTrace.Length), cancellationToken);
        if (characters > Limits.MergeCharacters)
            return Problems.BadRequest(string.Create(CultureInfo.InvariantCulture,
                $"These chats hold {characters:N0} characters of messages and reasoning; a merge takes at most {Limits.MergeCharacters:N0}. Merge fewer or shorter chats."));

        var (apiKey, keyProblem) = await vault.ResolveForCallAsync(db, request.MergeProvider, cancellationToken);
        if (apiKey is null)
            return Problems.BadRequest(keyProblem!);

        var job = new MergeJob(
            ids.Select(id => found[id]).ToList(), request.MergeProvider, request.MergeModel.Trim(), apiKey,
            request.Mode ?? MergeModes.Synthesize,
            string.IsNullOrWhiteSpace(request.Instructions) ? null : request.Instructions.Trim(),
            string.IsNullOrWhiteSpace(request.Title) ? null : request.Title.Trim());
        return EventStream.Open(http, streamer.StreamAsync(db, job, http.RequestAborted), providers.Value, ChatMergeMetrics.Merge);
    }

    private static async Task<Results<Ok<List<MergeSummary>>, ProblemHttpResult>> List(
        ChatMergeDbContext db, CancellationToken cancellationToken, int? limit = null, int? offset = null)
    {
        if (Problems.InvalidPaging(limit, offset) is { } paging)
            return paging;
        var rows = (from m in db.MergeHistory.AsNoTracking()
                    join c in db.Chats on m.MergedChatId equals c.Id
                    orderby m.CreatedAt descending, m.Id descending
                    select new { Merge = m, c.Title })
            .Skip(offset ?? 0);
        if (limit is { } take)
            rows = rows.Take(take);
        var merges = rows.Select(r => new MergeSummary(r.Merge.Id, r.Merge.MergedChatId, r.Title, r.Merge.SourceChatIds,
            r.Merge.Mode, r.Merge.Provider, r.Merge.Model, r.Merge.CreatedAt));
        return TypedResults.Ok(await merges.ToListAsync(cancellationToken));
    }
}
