using ChatMerge.Providers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ChatMerge.Models;

internal static class ModelsApi
{
    public static RouteHandlerBuilder MapModels(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/models", List)
            .WithTags("Models")
            .WithSummary("Models per provider: the curated list, plus the provider's live list when a key is available");

    private static Ok<Dictionary<string, List<string>>> List(IOptions<ProvidersOptions> options) =>
        TypedResults.Ok(ProviderNames.All.ToDictionary(p => p, p => options.Value.For(p).Models.ToList()));
}
