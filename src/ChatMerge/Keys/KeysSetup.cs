using ChatMerge.Data;
using Microsoft.AspNetCore.DataProtection;

namespace ChatMerge.Keys;

internal static class KeysSetup
{
    /// <summary>
    /// The Data Protection key ring lives beside the SQLite file by default (<c>keys/</c>), or in
    /// CHATMERGE_KEYS_DIR; the directory is readable by its owner only.
    /// </summary>
    public static WebApplicationBuilder AddKeys(this WebApplicationBuilder builder)
    {
        var database = DatabaseSettings.Parse(builder.Configuration["DATABASE_URL"]);
        var directory = builder.Configuration["CHATMERGE_KEYS_DIR"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(database.DataDirectory ?? builder.Environment.ContentRootPath, "keys");
        CreatePrivateDirectory(directory);

        builder.Services.AddDataProtection()
            .SetApplicationName("ChatMerge")
            .PersistKeysToFileSystem(new DirectoryInfo(directory));
        builder.Services.AddSingleton<KeyVault>();
        return builder;
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
