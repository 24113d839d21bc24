using ChatMerge.Data;
using ChatMerge.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace ChatMerge.Keys;

/// <summary>Whether the key ring is kept in the database (<c>data_protection_keys</c>) or in a directory.</summary>
internal sealed record KeyRingPlace(bool InDatabase);

internal static class KeysSetup
{
    public const string StoreVariable = "CHATMERGE_KEY_RING";
    public const string DirectoryVariable = "CHATMERGE_KEYS_DIR";

    /// <summary>Data Protection's hosted service that reads the key ring at start.</summary>
    internal const string KeyRingWarmUp = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>
    /// Where the Data Protection key ring lives. On SQLite: a <c>keys/</c> directory beside the database
    /// file (or CHATMERGE_KEYS_DIR), readable by its owner only. On PostgreSQL: the database itself, so
    /// every instance shares it (or a shared CHATMERGE_KEYS_DIR). A key ring in a shared place is
    /// encrypted with CHATMERGE_KEY_RING_SECRET, so a copy of the database alone reveals no provider key.
    /// </summary>
    public static WebApplicationBuilder AddKeys(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var database = DatabaseSettings.Parse(configuration["DATABASE_URL"]);
        var configuredDirectory = configuration[DirectoryVariable] is { Length: > 0 } dir ? Path.GetFullPath(dir) : null;
        var inDatabase = (configuration[StoreVariable]?.Trim().ToLowerInvariant()) switch
        {
            null or "" => database.Provider == DatabaseProvider.PostgreSql && configuredDirectory is null,
            "database" => true,
            "directory" => false,
            var other => throw new SettingsException($"{StoreVariable}: '{other}' is not a key ring store. Use 'database' or 'directory'."),
        };

        // Beside the database is no place on PostgreSQL: it would be the install directory, one key ring per instance.
        if (!inDatabase && database.Provider == DatabaseProvider.PostgreSql && configuredDirectory is null)
            throw new SettingsException(
                $"{StoreVariable}=directory on PostgreSQL needs {DirectoryVariable}: a directory every instance shares " +
                "(a mounted volume). Or leave the key ring in the database, the default on PostgreSQL.");

        var secret = KeyRingSecret.From(configuration);
        if (secret is null && (inDatabase || database.Provider == DatabaseProvider.PostgreSql))
            throw new SettingsException(
                $"{KeyRingSecret.Variable} is required when running on PostgreSQL or with the key ring in the database: " +
                $"it encrypts the key ring that protects the stored provider keys. Set it to the same random value " +
                $"(at least {KeyRingSecret.MinimumLength} characters, e.g. `openssl rand -base64 48`) on every instance.");

        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("ChatMerge");
        // The key ring is read when a provider key is first stored or used, not at start: a server
        // that takes its keys from the environment never reads it (about 10 MB of XML and crypto
        // code loaded for good). A key ring that cannot be read was only logged at start anyway.
        // On PostgreSQL its first key is made at start, once (CreateFirstKey).
        foreach (var warmUp in builder.Services.Where(s => s.ServiceType == typeof(IHostedService) && s.ImplementationType?.FullName == KeyRingWarmUp).ToList())
            builder.Services.Remove(warmUp);
        builder.Services.AddSingleton(new KeyRingPlace(inDatabase));
        if (inDatabase)
            dataProtection.PersistKeysToDbContext<ChatMergeDbContext>();
        else
        {
            var directory = configuredDirectory ?? Path.Combine(database.DataDirectory ?? builder.Environment.ContentRootPath, "keys");
            CreatePrivateDirectory(directory);
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(directory));
        }
        if (secret is not null)
        {
            builder.Services.AddSingleton(secret);
            builder.Services.Configure<KeyManagementOptions>(options => options.XmlEncryptor = new KeyRingEncryptor(secret));
        }
        builder.Services.AddSingleton<KeyVault>();
        return builder;
    }

    /// <summary>
    /// Makes the key ring's first key if it has none, on PostgreSQL while the other instances wait for the
    /// migration lock. Left to the first request that protects a provider key, two instances storing keys
    /// at the same moment each made a key of their own and each protected with it; an instance meets the
    /// other's key only when its key ring is refreshed (2 minutes after its first use, then once a day),
    /// so a key stored through one instance was "cannot be decrypted" on the other for up to a day.
    /// </summary>
    public static void CreateFirstKey(IServiceProvider services)
    {
        var keys = services.GetRequiredService<IKeyManager>();
        if (keys.GetAllKeys().Count > 0)
            return;
        var now = DateTimeOffset.UtcNow;
        keys.CreateNewKey(now, now + services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.NewKeyLifetime);
    }

    private static void CreatePrivateDirectory(string path)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
                return;
            }
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A volume owned by another user, a read-only mount: the operator's to fix, in one line.
            throw new SettingsException(
                $"The key ring directory '{path}' cannot be made or used: {e.Message} Set {DirectoryVariable} " +
                "(by default keys/ beside the SQLite file of DATABASE_URL) to a directory this user can write.", e);
        }
    }
}
