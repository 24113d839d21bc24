using System.Net;
using ChatMerge.Data;
using ChatMerge.Keys;
using ChatMerge.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Postgres;

public sealed class StartupTests
{
    [PostgresFact]
    public async Task Instances_starting_together_on_a_fresh_database_apply_each_migration_once_and_share_keys()
    {
        await using var simulator = await Instances.StartSimulatorAsync();
        await using var database = await TestDatabase.CreateAsync(Path.GetTempPath());
        var servers = Enumerable.Range(0, 3).Select(_ => new InstanceServer(simulator.BaseUrl) { SharedDatabase = database }).ToList();
        try
        {
            await Task.WhenAll(servers.Select(s => Task.Run(s.InitializeAsync)));

            foreach (var server in servers)
                Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health")).StatusCode);
            await using var scope = servers[0].Services.CreateAsyncScope();
            var known = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>().Database.GetMigrations().ToList();
            Assert.Equal(known.Count, await database.QueryScalarAsync<long>("SELECT COUNT(*) FROM \"__EFMigrationsHistory\""));
            Assert.Equal(known.Count, await database.QueryScalarAsync<long>("SELECT COUNT(DISTINCT \"MigrationId\") FROM \"__EFMigrationsHistory\""));

            // A key protected by one instance opens on every other.
            await servers[0].Client.PostAsync("/api/api-keys", JsonBody(new { provider = "openai", api_key = Instances.StoredKey }));
            foreach (var server in servers)
            {
                await using var other = server.Services.CreateAsyncScope();
                var vault = other.ServiceProvider.GetRequiredService<KeyVault>();
                Assert.Equal(Instances.StoredKey, await vault.ResolveAsync(other.ServiceProvider.GetRequiredService<ChatMergeDbContext>(), "openai", CancellationToken.None));
            }
        }
        finally
        {
            foreach (var server in servers)
                await server.DisposeAsync();
        }
    }

    [PostgresFact]
    public async Task Instances_sharing_a_fresh_database_protect_every_provider_key_with_one_key_ring_key()
    {
        await using var simulator = await Instances.StartSimulatorAsync();
        await using var database = await TestDatabase.CreateAsync(Path.GetTempPath());
        var a = new InstanceServer(simulator.BaseUrl) { SharedDatabase = database };
        var b = new InstanceServer(simulator.BaseUrl) { SharedDatabase = database };
        try
        {
            await Task.WhenAll(Task.Run(a.InitializeAsync), Task.Run(b.InitializeAsync));
            // Made at start: left to the first keys stored, each instance made its own, and one met
            // the other's only when its key ring was refreshed, up to a day later.
            Assert.Equal(1L, await database.QueryScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys"));

            var stored = await Task.WhenAll(
                a.Client.PostAsync("/api/api-keys", JsonBody(new { provider = "openai", api_key = Instances.StoredKey })),
                b.Client.PostAsync("/api/api-keys", JsonBody(new { provider = "anthropic", api_key = Instances.StoredKey })));

            Assert.All(stored, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            Assert.Equal(1L, await database.QueryScalarAsync<long>("SELECT COUNT(*) FROM data_protection_keys"));
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }

    [PostgresFact]
    public async Task A_database_that_does_not_exist_yet_is_created_at_start()
    {
        await using var database = PostgresTestDatabase.NotYetCreatedOn(TestDatabase.PostgresServer!);
        var server = new ServerFixture { SharedDatabase = database };
        try
        {
            await server.InitializeAsync();

            await HttpAssert.JsonAsync(await server.Client.PostAsync("/api/chats", JsonBody(new { provider = "openai", model = "gpt-4o" })), HttpStatusCode.Created);
            Assert.Equal(1L, await database.QueryScalarAsync<long>("SELECT COUNT(*) FROM chats"));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [PostgresFact]
    public async Task Instances_starting_together_on_a_database_that_does_not_exist_yet_all_open_it()
    {
        // What each instance does first at start. Two CREATE DATABASE of one name at the same moment:
        // the later one fails with a unique violation in pg_database, not with "already exists".
        for (var round = 0; round < 3; round++)
        {
            await using var database = PostgresTestDatabase.NotYetCreatedOn(TestDatabase.PostgresServer!);
            var opened = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
            {
                await using var connection = new Npgsql.NpgsqlConnection(database.Url);
                await PostgresDatabase.OpenCreatingAsync(connection, database.Url);
                return connection.State;
            })));

            Assert.All(opened, state => Assert.Equal(System.Data.ConnectionState.Open, state));
        }
    }

    [PostgresFact]
    public async Task PostgreSQL_without_a_key_ring_secret_fails_at_start_naming_the_variable()
    {
        await using var database = await TestDatabase.CreateAsync(Path.GetTempPath());
        var directory = Path.Combine(Path.GetTempPath(), "chatmerge-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => Hardening.ServerProcess.StartAsync(directory,
                [new("DATABASE_URL", database.Url), new(KeyRingSecret.Variable, "")]));

            Assert.Contains("The server exited with 1", failed.Message);
            Assert.Contains($"ChatMerge cannot start: {KeyRingSecret.Variable} is required when running on PostgreSQL", failed.Message);
            Assert.DoesNotContain("   at ", failed.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " " + Flatten(e.InnerException);

    private static HttpContent JsonBody(object body) => System.Net.Http.Json.JsonContent.Create(body);
}
