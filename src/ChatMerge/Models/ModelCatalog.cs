using ChatMerge.Data;
using ChatMerge.Keys;
using ChatMerge.Providers;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace ChatMerge.Models;

/// <summary>
/// The models offered per provider: the curated list from configuration, then whatever else the
/// provider itself lists for the configured key. Live lists are cached per instance for
/// <see cref="ProvidersOptions.ModelListCacheDuration"/>; an unreachable provider leaves the curated list.
/// </summary>
internal sealed partial class ModelCatalog(
    ChatClientFactory clients, KeyVault vault, IMemoryCache cache, IOptions<ProvidersOptions> options, ILogger<ModelCatalog> logger)
{
    private static readonly TimeSpan LiveListTimeout = TimeSpan.FromSeconds(5);

    public async Task<Dictionary<string, List<string>>> ListAsync(ChatMergeDbContext db, CancellationToken cancellationToken)
    {
        var keys = new Dictionary<string, string?>();
        foreach (var provider in ProviderNames.All)
            keys[provider] = await TryResolveKeyAsync(db, provider, cancellationToken);
        var lists = await Task.WhenAll(ProviderNames.All.Select(p => ModelsOfAsync(p, keys[p], cancellationToken)));
        return ProviderNames.All.Zip(lists).ToDictionary(pair => pair.First, pair => pair.Second);
    }

    private async Task<List<string>> ModelsOfAsync(string provider, string? apiKey, CancellationToken cancellationToken)
    {
        var curated = options.Value.For(provider).Models;
        if (apiKey is null)
            return [.. curated];
        var live = await cache.GetOrCreateAsync($"models:{provider}:{apiKey.GetHashCode()}", async entry =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(LiveListTimeout);
            try
            {
                var models = await clients.ListModelsAsync(provider, apiKey, timeout.Token);
                entry.AbsoluteExpirationRelativeToNow = options.Value.ModelListCacheDuration;
                return models;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Try again soon rather than hiding a provider's models for the whole cache period.
                entry.AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30);
                LogLiveListFailed(logger, provider, e.GetType().Name);
                return (IReadOnlyList<string>)[];
            }
        }) ?? [];
        return [.. curated, .. live.Where(m => !curated.Contains(m)).Order(StringComparer.Ordinal)];
    }

    private async Task<string?> TryResolveKeyAsync(ChatMergeDbContext db, string provider, CancellationToken cancellationToken)
    {
        try
        {
            return await vault.ResolveAsync(db, provider, cancellationToken);
        }
        catch (KeyUnavailableException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live model list of {Provider} unavailable ({ExceptionType}); showing the curated list")]
    private static partial void LogLiveListFailed(ILogger logger, string provider, string exceptionType);
}
