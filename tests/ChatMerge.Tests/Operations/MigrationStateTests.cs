using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Operations;

public sealed class MigrationStateTests : IAsyncLifetime
{
    private readonly ServerFixture _server = new();

    public Task InitializeAsync() => _server.InitializeAsync();
    public Task DisposeAsync() => _server.DisposeAsync();

    [Fact]
    public void The_known_migrations_are_the_ones_EF_Core_applies_for_each_database()
    {
        var sqlite = DatabaseSettings.Parse("sqlite:///unused.db");
        var postgres = DatabaseSettings.Parse("postgres://user:pw@127.0.0.1:1/db");
        using var services = new ServiceCollection()
            .AddDbContext<SqliteChatMergeDbContext>(options => DataExtensions.UseSqlite(options, sqlite.ConnectionString))
            .AddDbContext<PostgresChatMergeDbContext>(options => DataExtensions.UsePostgres(options, postgres.ConnectionString))
            .BuildServiceProvider();

        var sqliteMigrations = services.GetRequiredService<SqliteChatMergeDbContext>().Database.GetMigrations().ToList();
        var postgresMigrations = services.GetRequiredService<PostgresChatMergeDbContext>().Database.GetMigrations().ToList();

        Assert.NotEmpty(sqliteMigrations);
        Assert.Equal(sqliteMigrations, MigrationState.Known(DatabaseProvider.Sqlite));
        Assert.NotEmpty(postgresMigrations);
        Assert.Equal(postgresMigrations, MigrationState.Known(DatabaseProvider.PostgreSql));
    }

    [Fact]
    public async Task Pending_migrations_are_those_EF_Core_finds_pending()
    {
        var settings = _server.Services.GetRequiredService<DatabaseSettings>();
        Assert.Empty(await PendingAsync(settings));

        await using (var scope = _server.Services.CreateAsyncScope())
        {
            // Two migrations back, as an older release left the database.
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            var all = db.Database.GetMigrations().ToList();
            await db.GetService<IMigrator>().MigrateAsync(all[^3]);
            var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
            Assert.Equal(all[^2..], pending);
            Assert.Equal(pending, await PendingAsync(settings));
        }

        await _server.Database.ExecuteAsync("DROP TABLE \"__EFMigrationsHistory\"");
        Assert.Equal(MigrationState.Known(settings.Provider), await PendingAsync(settings));
    }

    private static async Task<IReadOnlyList<string>> PendingAsync(DatabaseSettings settings)
    {
        await using var connection = MigrationState.Connect(settings);
        await connection.OpenAsync();
        return await MigrationState.PendingAsync(connection, settings.Provider, CancellationToken.None);
    }
}
