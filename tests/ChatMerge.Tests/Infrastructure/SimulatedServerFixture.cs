using ChatMerge.Simulator;

namespace ChatMerge.Tests.Infrastructure;

/// <summary>
/// The server wired to the provider simulator on a real loopback port: the official SDKs and our
/// Gemini client do real HTTP. Keys come from the environment variables, as a user would set them.
/// </summary>
public class SimulatedServerFixture : ServerFixture
{
    public SimulatorHost Simulator { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Simulator = await SimulatorHost.StartAsync(new SimulatorOptions { StallDuration = TimeSpan.FromSeconds(30) });
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("OPENAI_BASE_URL", Simulator.BaseUrl.ToString()),
        new("ANTHROPIC_BASE_URL", Simulator.BaseUrl.ToString()),
        new("GEMINI_BASE_URL", Simulator.BaseUrl.ToString()),
        new("OPENAI_API_KEY", "sim-openai-key"),
        new("ANTHROPIC_API_KEY", "sim-anthropic-key"),
        new("GOOGLE_API_KEY", "sim-gemini-key"),
        new("Providers:MaxRetries", "1"),
        new("Providers:StreamIdleTimeout", "00:00:02"),
    ];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
