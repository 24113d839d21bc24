using System.Reflection;
using ChatMerge.Simulator;

namespace ChatMerge.Demo;

/// <summary>
/// The offline demo: the provider simulator on a loopback port and the ChatMerge server pointed at
/// it, with the simulator's keys. No real provider is called and no key is needed. The data goes to
/// chatmerge-demo.db unless DATABASE_URL says otherwise.
/// </summary>
public static class DemoProgram
{
    public static async Task<int> Main(string[] args)
    {
        await using var simulator = await SimulatorHost.StartAsync(new SimulatorOptions { RecordRequests = false });
        var url = simulator.BaseUrl.ToString();
        Set("OPENAI_BASE_URL", url, force: true);
        Set("ANTHROPIC_BASE_URL", url, force: true);
        Set("GEMINI_BASE_URL", url, force: true);
        Set("OPENAI_API_KEY", "sim-openai-key", force: true);
        Set("ANTHROPIC_API_KEY", "sim-anthropic-key", force: true);
        Set("GOOGLE_API_KEY", "sim-gemini-key", force: true);
        Set("DATABASE_URL", "sqlite:///./chatmerge-demo.db", force: false);
        Set("CHATMERGE_KEYS_DIR", "./chatmerge-demo-keys", force: false);
        Console.WriteLine($"Provider simulator on {url} (OpenAI, Anthropic and Gemini wire formats).");

        // The server's own entry point, so the demo runs exactly the program that ships.
        var entry = typeof(Program).Assembly.EntryPoint!;
        var result = entry.Invoke(null, entry.GetParameters().Length == 0 ? null : [args]);
        return result switch
        {
            Task<int> exit => await exit,
            Task task => await Completed(task),
            int exit => exit,
            _ => 0,
        };
    }

    private static async Task<int> Completed(Task task)
    {
        await task;
        return 0;
    }

    // Stored keys would win over these; the demo database keeps its own key ring, so none exist.
    private static void Set(string name, string value, bool force)
    {
        if (force || string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
            Environment.SetEnvironmentVariable(name, value);
    }
}
