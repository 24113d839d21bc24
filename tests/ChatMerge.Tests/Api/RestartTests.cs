using System.Net;
using System.Net.Http.Json;
using ChatMerge.Keys;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Api;

public sealed class RestartTests : IAsyncLifetime
{
    private readonly ServerFixture _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();
    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public async Task Chats_and_a_stored_key_survive_a_restart_and_the_key_still_decrypts()
    {
        var chat = await _server.CreateChatAsync(title: "kept");
        await _server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = "sk-survives-restart" });

        await _server.StopAsync();
        await _server.StartAsync();

        var fetched = await HttpAssert.JsonAsync(await _server.Client.GetAsync($"/api/chats/{chat.GetProperty("id").GetString()}"));
        Assert.Equal("kept", fetched.GetProperty("title").GetString());

        await using var scope = _server.Services.CreateAsyncScope();
        var vault = scope.ServiceProvider.GetRequiredService<KeyVault>();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        Assert.Equal("sk-survives-restart", await vault.ResolveAsync(db, "openai", CancellationToken.None));
        if (_server.Database.IsPostgres)
            Assert.True(await _server.QueryScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys") > 0);
        else
            Assert.True(Directory.EnumerateFiles(Path.Combine(_server.Directory, "keys"), "*.xml").Any());
    }

    [Fact]
    public async Task A_database_a_migration_behind_is_migrated_at_start()
    {
        var chat = await _server.CreateChatAsync(title: "before the upgrade");
        int migrations;
        await using (var scope = _server.Services.CreateAsyncScope())
        {
            // The database as the previous release left it.
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            var all = db.Database.GetMigrations().ToList();
            migrations = all.Count;
            await db.GetService<IMigrator>().MigrateAsync(all[^2]);
        }
        Assert.Equal(migrations - 1, await _server.QueryScalarAsync<int>("SELECT COUNT(*) FROM \"__EFMigrationsHistory\""));

        await _server.StopAsync();
        await _server.StartAsync();

        Assert.Equal(migrations, await _server.QueryScalarAsync<int>("SELECT COUNT(*) FROM \"__EFMigrationsHistory\""));
        var fetched = await HttpAssert.JsonAsync(await _server.Client.GetAsync($"/api/chats/{chat.GetProperty("id").GetString()}"));
        Assert.Equal("before the upgrade", fetched.GetProperty("title").GetString());
        Assert.Equal(0, fetched.GetProperty("message_count").GetInt32());
    }

    [Fact]
    public async Task A_lost_key_ring_gives_a_clear_error_not_a_crash()
    {
        await _server.Client.PostAsJsonAsync("/api/api-keys", new { provider = "anthropic", api_key = "sk-ant-lost" });
        await _server.StopAsync();
        await _server.DeleteKeyRingAsync();
        await _server.StartAsync();

        await using var scope = _server.Services.CreateAsyncScope();
        var vault = scope.ServiceProvider.GetRequiredService<KeyVault>();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        var error = await Assert.ThrowsAsync<KeyUnavailableException>(() => vault.ResolveAsync(db, "anthropic", CancellationToken.None));
        Assert.Contains("Enter the key again", error.Message);
        Assert.Equal(HttpStatusCode.OK, (await _server.Client.GetAsync("/api/api-keys")).StatusCode);
    }
}
