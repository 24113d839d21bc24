using System.Net.Http.Json;
using ChatMerge.Simulator;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>A temporary directory, the simulator, and the settings a server process needs to use both.</summary>
public abstract class ProcessTestBase : IAsyncLifetime
{
    protected string Directory { get; } = Path.Combine(Path.GetTempPath(), "chatmerge-tests", Guid.NewGuid().ToString("N"));
    protected string DatabasePath => Path.Combine(Directory, "chat_app.db");
    protected SimulatorHost Simulator { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Simulator = await SimulatorHost.StartAsync(new SimulatorOptions { StallDuration = TimeSpan.FromSeconds(30) });
    }

    public virtual async Task DisposeAsync()
    {
        await Simulator.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    protected virtual IEnumerable<KeyValuePair<string, string>> Settings() =>
    [
        new("OPENAI_BASE_URL", Simulator.BaseUrl.ToString()),
        new("ANTHROPIC_BASE_URL", Simulator.BaseUrl.ToString()),
        new("GEMINI_BASE_URL", Simulator.BaseUrl.ToString()),
        new("OPENAI_API_KEY", "sim-openai-key"),
        new("ANTHROPIC_API_KEY", "sim-anthropic-key"),
        new("GOOGLE_API_KEY", "sim-gemini-key"),
        new("Providers__MaxRetries", "1"),
        new("Providers__StreamIdleTimeout", "00:00:05"),
        new("CHATMERGE_RATE_LIMIT_STREAMS", "100000"),
    ];

    protected Task<ServerProcess> StartServerAsync() => ServerProcess.StartAsync(Directory, Settings());

    protected static async Task<string> CreateChatAsync(HttpClient client, string provider, string model)
    {
        var response = await client.PostAsJsonAsync("/api/chats", new { provider, model });
        return (await HttpAssert.JsonAsync(response, System.Net.HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    protected static readonly (string Provider, string Model)[] Models =
        [("openai", "gpt-4o-mini"), ("anthropic", "claude-3-5-haiku-latest"), ("gemini", "gemini-2.0-flash")];
}
