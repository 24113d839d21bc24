using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Infrastructure;

/// <summary>
/// The real server on Kestrel at a loopback port, with its own database (a SQLite file in a fresh
/// directory, or a fresh PostgreSQL database when CHATMERGE_TEST_POSTGRES is set) and key ring.
/// Settings are the environment variables a user would set.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private WebApplicationFactory<Program>? _factory;
    private TestDatabase? _database;
    private bool _ownsDatabase;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "chatmerge-tests", Guid.NewGuid().ToString("N"));
    public string DatabasePath => Path.Combine(Directory, "chat_app.db");
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The database this server runs on; tests read what was really stored through it.</summary>
    public TestDatabase Database => _database ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>Runs this server on a database another fixture owns, as a second instance would.</summary>
    public TestDatabase? SharedDatabase { init => _database = value; }
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Extra settings (environment variable names) for this fixture's server.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings() => [];

    /// <summary>Extra services for this fixture's server (e.g. an in-memory telemetry exporter).</summary>
    protected virtual void ConfigureServices(IServiceCollection services) { }

    public virtual async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (_database is null)
        {
            _database = await TestDatabase.CreateAsync(Directory);
            _ownsDatabase = true;
        }
        await StartAsync();
    }

    public async Task StartAsync(IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = Database.Url,
            ["SERVER_HOST"] = "127.0.0.1",
            ["SERVER_PORT"] = "0",
        };
        if (Database.IsPostgres)
            settings["CHATMERGE_KEY_RING_SECRET"] = TestDatabase.KeyRingSecret;
        foreach (var (key, value) in Settings().Concat(overrides ?? []))
            settings[key] = value;

        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
                web.UseSetting(key, value);
            web.UseEnvironment("Testing");
            web.ConfigureServices(ConfigureServices);
        });
        _factory.UseKestrel(0);
        _factory.StartServer();
        Client = _factory.CreateClient();
        Client.Timeout = TimeSpan.FromMinutes(2);
        BaseAddress = Client.BaseAddress!;
        await Task.CompletedTask;
    }

    /// <summary>Stops the server, keeping its files, as a restart would.</summary>
    public async Task StopAsync()
    {
        Client?.Dispose();
        if (_factory is not null)
            await _factory.DisposeAsync();
        _factory = null;
    }

    public IServiceProvider Services => _factory!.Services;

    public virtual async Task DisposeAsync()
    {
        await StopAsync();
        if (_ownsDatabase && _database is not null)
            await _database.DisposeAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    /// <summary>A direct query of the server's database, to check what was really stored.</summary>
    public Task<T> QueryScalarAsync<T>(string sql) => Database.QueryScalarAsync<T>(sql);

    /// <summary>Loses the Data Protection key ring wherever this server keeps it (files on SQLite, a table on PostgreSQL).</summary>
    public async Task DeleteKeyRingAsync()
    {
        if (Database.IsPostgres)
            await Database.ExecuteAsync("DELETE FROM data_protection_keys");
        else
            System.IO.Directory.Delete(Path.Combine(Directory, "keys"), recursive: true);
    }

    public async Task<JsonElement> CreateChatAsync(string provider = "openai", string model = "gpt-4o-mini", string? title = null, string? systemPrompt = null)
    {
        var response = await Client.PostAsJsonAsync("/api/chats", new { provider, model, title, system_prompt = systemPrompt });
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>
    /// Asks for a very long answer on a raw socket with a small receive buffer and never reads it: the
    /// server's writes fill both sockets' buffers and stay pending, as with a client that stopped reading.
    /// </summary>
    public async Task<System.Net.Sockets.Socket> StartUnreadCompletionAsync(string chatId)
    {
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream,
            System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(BaseAddress.Host, BaseAddress.Port);
        var body = "{\"content\":\"talk for a long time [[sim:tokens=300000]]\",\"max_tokens\":1000000}";
        var request = $"POST /api/chats/{chatId}/completions HTTP/1.1\r\nHost: {BaseAddress.Authority}\r\n" +
                      $"Content-Type: application/json\r\nContent-Length: {System.Text.Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}";
        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(request));
        return socket;
    }
}
