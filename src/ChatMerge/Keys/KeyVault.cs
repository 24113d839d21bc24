using System.Collections.Concurrent;
using System.Security.Cryptography;
using ChatMerge.Data;
using ChatMerge.Providers;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Keys;

/// <summary>A provider key that exists but cannot be used; the message is safe to show.</summary>
internal sealed class KeyUnavailableException(string message) : Exception(message);

/// <summary>
/// Provider API keys: encrypted with ASP.NET Core Data Protection before they reach the database,
/// decrypted only to call the provider. A stored key wins over the environment variable.
/// </summary>
internal sealed partial class KeyVault(IDataProtectionProvider protection, IConfiguration configuration, ILogger<KeyVault> logger)
{
    private static readonly Func<ChatMergeDbContext, string, CancellationToken, Task<string?>> ActiveKeyOf =
        EF.CompileAsyncQuery((ChatMergeDbContext db, string provider, CancellationToken _) =>
            db.ApiKeys.AsNoTracking().Where(k => k.Provider == provider && k.IsActive).Select(k => k.EncryptedKey).FirstOrDefault());

    private readonly IDataProtector _protector = protection.CreateProtector("ChatMerge.ApiKeys.v1");

    // The last key decrypted per provider, by its ciphertext: every completion reads the stored key
    // (another instance may have replaced it) but decrypts it only when it changed.
    private readonly ConcurrentDictionary<string, (string Encrypted, string Key)> _decrypted = new(StringComparer.Ordinal);

    public string Protect(string key) => _protector.Protect(key);

    /// <summary>The encrypted key stored for <paramref name="provider"/>, or null.</summary>
    public static Task<string?> StoredKeyAsync(ChatMergeDbContext db, string provider, CancellationToken cancellationToken) =>
        ActiveKeyOf(db, provider, cancellationToken);

    /// <summary>The key to call <paramref name="provider"/> with, or null when none is stored or configured.</summary>
    public async Task<string?> ResolveAsync(ChatMergeDbContext db, string provider, CancellationToken cancellationToken) =>
        Resolve(provider, await StoredKeyAsync(db, provider, cancellationToken));

    /// <summary>The key to call <paramref name="provider"/> with, or a message for the user saying why there is none.</summary>
    public async Task<(string? Key, string? Problem)> ResolveForCallAsync(ChatMergeDbContext db, string provider, CancellationToken cancellationToken) =>
        ResolveForCall(provider, await StoredKeyAsync(db, provider, cancellationToken));

    /// <summary>As <see cref="ResolveForCallAsync"/>, with the stored key already read (<see cref="StoredKeyAsync"/>).</summary>
    public (string? Key, string? Problem) ResolveForCall(string provider, string? stored)
    {
        try
        {
            return Resolve(provider, stored) is { } key ? (key, null) : (null, MissingKeyMessage(provider));
        }
        catch (KeyUnavailableException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The stored key decrypted, else the environment's.</summary>
    private string? Resolve(string provider, string? stored)
    {
        if (stored is null)
            return EnvironmentKey(provider);
        if (_decrypted.TryGetValue(provider, out var last) && last.Encrypted == stored)
            return last.Key;
        try
        {
            var key = _protector.Unprotect(stored);
            _decrypted[provider] = (stored, key);
            return key;
        }
        catch (CryptographicException)
        {
            // Entering the key again on one instance of several would only move the problem to the others.
            LogUndecryptable(logger, provider, KeyRingSecret.Variable, KeysSetup.DirectoryVariable);
            throw new KeyUnavailableException(
                $"The stored {provider} API key cannot be decrypted: the key ring it was encrypted with is missing or different. " +
                "Enter the key again (POST /api/api-keys) if the key ring was lost; if several instances share this database, " +
                $"give them all the same {KeyRingSecret.Variable} (and {KeysSetup.DirectoryVariable}, if set) instead.");
        }
    }

    public string? EnvironmentKey(string provider)
    {
        var names = provider switch
        {
            ProviderNames.OpenAI => ["OPENAI_API_KEY"],
            ProviderNames.Anthropic => ["ANTHROPIC_API_KEY"],
            ProviderNames.Gemini => new[] { "GOOGLE_API_KEY", "GEMINI_API_KEY" },
            _ => [],
        };
        return names.Select(n => configuration[n]).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v))?.Trim();
    }

    public static string MissingKeyMessage(string provider) =>
        $"No API key for {provider}. Add one with POST /api/api-keys {{\"provider\": \"{provider}\", \"api_key\": \"...\"}} " +
        $"or set {(provider == ProviderNames.Gemini ? "GOOGLE_API_KEY" : provider.ToUpperInvariant() + "_API_KEY")}.";

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stored {Provider} API key cannot be decrypted with this instance's key ring. " +
        "Instances that share a database must share the key ring: the same {SecretVariable}, and the same {DirectoryVariable} if set.")]
    private static partial void LogUndecryptable(ILogger logger, string provider, string secretVariable, string directoryVariable);
}
