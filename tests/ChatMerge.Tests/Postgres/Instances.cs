using ChatMerge.Simulator;
using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Postgres;

/// <summary>
/// One ChatMerge instance of several that share a database, wired to a simulator that accepts only
/// <see cref="Instances.StoredKey"/>: no key comes from the environment, so a completion that
/// succeeds used the key stored in the shared database.
/// </summary>
public sealed class InstanceServer(Uri simulator) : ServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("OPENAI_BASE_URL", simulator.ToString()),
        new("ANTHROPIC_BASE_URL", simulator.ToString()),
        new("GEMINI_BASE_URL", simulator.ToString()),
        new("Providers:MaxRetries", "1"),
    ];
}

/// <summary>Two instances (A and B, on two loopback ports) sharing one fresh PostgreSQL database.</summary>
public sealed class Instances : IAsyncLifetime
{
    public const string StoredKey = "sk-shared-across-instances-0042";

    public SimulatorHost Simulator { get; private set; } = null!;
    public TestDatabase Database { get; private set; } = null!;
    public InstanceServer A { get; private set; } = null!;
    public InstanceServer B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (TestDatabase.PostgresServer is null)
            return;
        Simulator = await StartSimulatorAsync();
        Database = await TestDatabase.CreateAsync(Path.GetTempPath());
        A = new InstanceServer(Simulator.BaseUrl) { SharedDatabase = Database };
        B = new InstanceServer(Simulator.BaseUrl) { SharedDatabase = Database };
        await A.InitializeAsync();
        await B.InitializeAsync();
    }

    public static async Task<SimulatorHost> StartSimulatorAsync()
    {
        var simulator = await SimulatorHost.StartAsync(new SimulatorOptions { RecordRequests = false });
        simulator.Options.ValidKeys.Clear();
        simulator.Options.ValidKeys.Add(StoredKey);
        return simulator;
    }

    public async Task DisposeAsync()
    {
        if (TestDatabase.PostgresServer is null)
            return;
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Database.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
