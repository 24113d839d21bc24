using System.Net;
using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

public sealed class KeyRingTests : IAsyncLifetime
{
    private readonly SimulatedServerFixture _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();
    public Task DisposeAsync() => _server.DisposeAsync();

    private string KeyRing => Path.Combine(_server.Directory, "keys");

    [SqliteFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Key_ring_files_are_readable_by_their_owner_only()
    {
        (await _server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sim-openai-key" })).EnsureSuccessStatusCode();

        var files = Directory.GetFiles(KeyRing, "*.xml");
        Assert.NotEmpty(files);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(KeyRing));
        Assert.All(files, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    [SqliteFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_new_database_file_and_its_log_are_readable_by_their_owner_only()
    {
        (await _server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sim-openai-key" })).EnsureSuccessStatusCode();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.DatabasePath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.DatabasePath + "-wal"));
    }

    [Fact]
    public async Task The_key_ring_is_made_when_the_first_key_is_stored_not_at_start()
    {
        // On PostgreSQL its first key is made when the database is set up, once for every instance
        // (StartupTests); a server that only reads it still leaves it alone.
        Assert.Equal(_server.Database.IsPostgres ? 1 : 0, await KeyRingKeysAsync());

        (await _server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sim-openai-key" })).EnsureSuccessStatusCode();

        Assert.Equal(1, await KeyRingKeysAsync());
        var chatId = (await _server.CreateChatAsync("openai", "gpt-4o-mini")).GetProperty("id").GetString()!;
        Assert.Equal("done", (await _server.CompleteAsync(chatId, "hello")).Last?.Type);
    }

    private async Task<int> KeyRingKeysAsync() => _server.Database.IsPostgres
        ? await _server.QueryScalarAsync<int>("SELECT COUNT(*) FROM data_protection_keys")
        : Directory.Exists(KeyRing) ? Directory.GetFiles(KeyRing, "*.xml").Length : 0;

    [Fact]
    public async Task Lost_key_ring_asks_for_the_key_again_instead_of_crashing()
    {
        var chatId = (await _server.CreateChatAsync("anthropic", "claude-3-5-haiku-latest")).GetProperty("id").GetString()!;
        (await _server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "sim-anthropic-key" })).EnsureSuccessStatusCode();
        await _server.StopAsync();
        await _server.DeleteKeyRingAsync();
        await _server.StartAsync();

        var refused = await _server.Client.PostAsJsonAsync($"/api/chats/{chatId}/completions", new { content = "hello" });
        var detail = await HttpAssert.ProblemAsync(refused, HttpStatusCode.BadRequest);
        Assert.Contains("cannot be decrypted", detail);
        Assert.Contains("again", detail);
        // Several instances on one database with different secrets look the same from here: the detail names the fix.
        Assert.Contains("CHATMERGE_KEY_RING_SECRET", detail);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("/api/api-keys")).StatusCode);

        (await _server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "sim-anthropic-key" })).EnsureSuccessStatusCode();
        Assert.Equal("done", (await _server.CompleteAsync(chatId, "hello again")).Last?.Type);
    }
}
