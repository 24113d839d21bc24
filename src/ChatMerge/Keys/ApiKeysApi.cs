using System.ComponentModel.DataAnnotations;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Providers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Keys;

public sealed record StoreApiKeyRequest(
    [property: Required, AllowedValues(ProviderNames.OpenAI, ProviderNames.Anthropic, ProviderNames.Gemini, ErrorMessage = ProviderNames.AllowedMessage)] string Provider,
    [property: Required, MaxLength(Limits.ApiKeyLength)] string ApiKey);

/// <summary>A stored key as the API shows it: never the key itself.</summary>
public sealed record ApiKeyResponse(Guid Id, string Provider, bool IsActive, DateTime CreatedAt);

internal static class ApiKeysApi
{
    public static RouteGroupBuilder MapApiKeys(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/api-keys").WithTags("API keys");

        group.MapPost("", Store).WithSummary("Store or replace the API key of a provider").ProducesValidationProblem();
        group.MapGet("", List).WithSummary("List stored keys (never the keys themselves)");
        group.MapDelete("/{id}", Delete).WithSummary("Delete a stored key")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapKeyValidation().ProducesValidationProblem();
        return group;
    }

    private static async Task<Results<Created<ApiKeyResponse>, ProblemHttpResult>> Store(
        StoreApiKeyRequest request, ChatMergeDbContext db, KeyVault vault, CancellationToken cancellationToken)
    {
        var key = request.ApiKey.Trim();
        if (ShapeProblem(key) is { } problem)
            return Problems.BadRequest(problem);

        var encrypted = vault.Protect(key);
        using var turn = await db.WriteTurnAsync(cancellationToken);
        // On PostgreSQL another instance (or request) may store or delete the same provider's key
        // between the read and the write: the unique index or the lost row refuses the write, and
        // the next attempt reads what won. SQLite's write turn makes the first attempt the only one.
        for (var attempt = 1; ; attempt++)
        {
            var existing = await db.ApiKeys.FirstOrDefaultAsync(k => k.Provider == request.Provider, cancellationToken);
            if (existing is null)
            {
                existing = new ApiKey { Provider = request.Provider, EncryptedKey = encrypted };
                db.ApiKeys.Add(existing);
            }
            else
            {
                existing.EncryptedKey = encrypted;
                existing.IsActive = true;
                existing.UpdatedAt = DateTime.UtcNow;
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return TypedResults.Created($"/api/api-keys/{existing.Id}", ToResponse(existing));
            }
            catch (DbUpdateException) when (attempt < MaxStoreAttempts)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    private const int MaxStoreAttempts = 3;

    /// <summary>
    /// Why <paramref name="key"/> cannot be a provider key, or null. It goes into an HTTP header of the
    /// provider request, where only visible ASCII belongs: the OpenAI SDK writes a header value as given,
    /// so a line break in it would add headers (or a whole request) of the client's choosing.
    /// </summary>
    internal static string? ShapeProblem(string key) =>
        key.All(c => c is > ' ' and < '\x7f') ? null : "api_key must be printable ASCII, without spaces or control characters.";

    private static async Task<Ok<List<ApiKeyResponse>>> List(ChatMergeDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await db.ApiKeys.AsNoTracking()
            .OrderBy(k => k.Provider)
            .Select(k => new ApiKeyResponse(k.Id, k.Provider, k.IsActive, k.CreatedAt))
            .ToListAsync(cancellationToken));

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, ChatMergeDbContext db, CancellationToken cancellationToken)
    {
        if (!Problems.TryParseId(id, out var keyId))
            return Problems.InvalidId("key_id", id);
        using var turn = await db.WriteTurnAsync(cancellationToken);
        var deleted = await db.ApiKeys.Where(k => k.Id == keyId).ExecuteDeleteAsync(cancellationToken);
        return deleted == 0 ? Problems.NotFound($"API key {keyId} not found.") : TypedResults.NoContent();
    }

    private static ApiKeyResponse ToResponse(ApiKey key) => new(key.Id, key.Provider, key.IsActive, key.CreatedAt);
}
