using ChatMerge.Data;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ChatMerge.Models;

internal static class ModelsApi
{
    public static RouteHandlerBuilder MapModels(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/models", List)
            .WithTags("Models")
            .WithSummary("Models per provider: the curated list, plus the provider's live list when a key is available");

    private static async Task<Ok<Dictionary<string, List<string>>>> List(ModelCatalog catalog, ChatMergeDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.ListAsync(db, cancellationToken));
}
