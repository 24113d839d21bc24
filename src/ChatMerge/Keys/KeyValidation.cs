using System.ComponentModel.DataAnnotations;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Providers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ChatMerge.Keys;

/// <summary>Without <c>api_key</c>, the key ChatMerge would use for the provider (stored or from the environment) is checked.</summary>
public sealed record ValidateApiKeyRequest(
    [property: Required, AllowedValues(ProviderNames.OpenAI, ProviderNames.Anthropic, ProviderNames.Gemini, ErrorMessage = ProviderNames.AllowedMessage)] string Provider,
    [property: MaxLength(Limits.ApiKeyLength)] string? ApiKey = null);

public sealed record ValidateApiKeyResponse(bool Valid, string Provider, IReadOnlyList<string>? AvailableModels = null, string? Error = null);

internal static class KeyValidation
{
    public static RouteHandlerBuilder MapKeyValidation(this RouteGroupBuilder group) =>
        group.MapPost("/validate", Validate).WithSummary("Check a key with the provider itself (lists its models)");

    private static async Task<Results<Ok<ValidateApiKeyResponse>, ProblemHttpResult>> Validate(
        ValidateApiKeyRequest request, ChatMergeDbContext db, KeyVault vault, ChatClientFactory clients,
        IOptions<ProvidersOptions> options, CancellationToken cancellationToken)
    {
        var given = string.IsNullOrWhiteSpace(request.ApiKey) ? null : request.ApiKey.Trim();
        // A key that cannot be one is never sent: the provider would get its line breaks as headers.
        if (given is not null && ApiKeysApi.ShapeProblem(given) is { } shape)
            return TypedResults.Ok(new ValidateApiKeyResponse(false, request.Provider, Error: shape));
        string? key;
        try
        {
            key = given ?? await vault.ResolveAsync(db, request.Provider, cancellationToken);
        }
        catch (KeyUnavailableException e)
        {
            return TypedResults.Ok(new ValidateApiKeyResponse(false, request.Provider, Error: e.Message));
        }
        if (key is null)
            return TypedResults.Ok(new ValidateApiKeyResponse(false, request.Provider, Error: KeyVault.MissingKeyMessage(request.Provider)));

        try
        {
            var models = await clients.ListModelsAsync(request.Provider, key, cancellationToken);
            return TypedResults.Ok(new ValidateApiKeyResponse(true, request.Provider, models));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var error = ProviderErrors.Describe(request.Provider, e, key, options.Value.For(request.Provider).BaseUrl);
            return TypedResults.Ok(new ValidateApiKeyResponse(false, request.Provider, Error: error));
        }
    }
}
