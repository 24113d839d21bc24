using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChatMerge.Tests.Operations;

public sealed class HealthTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Liveness_answers_status_ok()
    {
        var body = await HttpAssert.JsonAsync(await server.Client.GetAsync("/health"));

        Assert.Equal("""{"status":"ok"}""", body.GetRawText());
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/health/ready")]
    public async Task Probes_answer_head_requests(string path)
    {
        // Uptime monitors often probe with HEAD; a 405 would read as "down".
        using var response = await server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readiness_is_ok_when_the_database_answers_and_is_migrated()
    {
        var response = await server.Client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok","checks":{"database":"ok"}}""", await response.Content.ReadAsStringAsync());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Readiness_is_503_when_a_migration_is_not_applied()
    {
        var own = new ServerFixture();
        await own.InitializeAsync();
        try
        {
            // As if a newer release's migration had not run against this database yet.
            await own.Database.ExecuteAsync("DELETE FROM \"__EFMigrationsHistory\"");

            var response = await own.Client.GetAsync("/health/ready");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("unavailable", body.GetProperty("status").GetString());
            Assert.EndsWith("database migration(s) not applied.", body.GetProperty("checks").GetProperty("database").GetString());
            Assert.Equal(HttpStatusCode.OK, (await own.Client.GetAsync("/health")).StatusCode);
        }
        finally
        {
            await own.DisposeAsync();
        }
    }

    [Fact]
    public async Task Readiness_fails_without_naming_the_host_or_password_when_postgres_cannot_be_reached()
    {
        var settings = DatabaseSettings.Parse("postgres://chatmerge:s3cret-pw@127.0.0.1:1/chatmerge?sslmode=disable");
        var check = new DatabaseReadyCheck(settings);

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("The database cannot be reached.", result.Description);
    }

    [Fact]
    public async Task Readiness_probes_within_a_second_share_one_database_check()
    {
        // /health/ready is open to anyone and never rate limited (a load balancer shares the clients' address):
        // a flood of probes must not become a flood of database connections.
        var directory = Path.Combine(Path.GetTempPath(), $"chatmerge-ready-{Guid.NewGuid():N}");
        var settings = DatabaseSettings.Parse(Path.Combine(directory, "chat_app.db"));
        var check = new DatabaseReadyCheck(settings);
        try
        {
            // Warm up on another check, so that the first one below takes well under the second.
            await new DatabaseReadyCheck(settings).CheckHealthAsync(new HealthCheckContext());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var missing = await check.CheckHealthAsync(new HealthCheckContext());
            Assert.Equal("The database cannot be reached.", missing.Description);

            // The directory appears: a new check would open an empty database whose migrations are not applied.
            Directory.CreateDirectory(directory);
            var probes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => check.CheckHealthAsync(new HealthCheckContext())));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "the probes took too long to be within one second");
            Assert.All(probes, probe => Assert.Equal("The database cannot be reached.", probe.Description));
            Assert.False(File.Exists(Path.Combine(directory, "chat_app.db")));

            // A second later the next probe checks again.
            await Eventually.GetAsync<bool>(async () =>
                (await check.CheckHealthAsync(new HealthCheckContext())).Description?.EndsWith("migration(s) not applied.") == true ? true : null);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Readiness_gives_up_after_5_s_on_a_database_that_never_answers()
    {
        // Accepts connections and never says a word, as a hung server or a black-holing network does.
        using var silent = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var held = new List<System.Net.Sockets.TcpClient>();
        _ = Task.Run(async () => { while (true) held.Add(await silent.AcceptTcpClientAsync()); });
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(DatabaseSettings.Parse($"postgres://chatmerge:s3cret-pw@127.0.0.1:{port}/chatmerge?sslmode=disable"));
        builder.AddHealth();
        await using var services = builder.Services.BuildServiceProvider();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8));
        Assert.Equal(HealthStatus.Unhealthy, report.Status);
        Assert.Equal("The database cannot be reached.", report.Entries["database"].Description);
    }
}
