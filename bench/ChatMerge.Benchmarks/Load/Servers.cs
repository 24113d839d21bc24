using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ChatMerge.Data;

namespace ChatMerge.Benchmarks.Load;

/// <summary>Starts the Release builds of the server and of the simulator as processes of their own on loopback.</summary>
internal static class Servers
{
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ChatMerge.slnx")))
                return dir.FullName;
        throw new InvalidOperationException("Run the benchmarks from the repository (ChatMerge.slnx not found above the binaries).");
    }

    /// <summary>
    /// Publishes the server as it is deployed (deploy/Dockerfile): the driver's configuration (Release under
    /// `dotnet run -c Release`), for this machine's runtime, so ReadyToRun. Returns the path of ChatMerge.dll.
    /// </summary>
    public static async Task<string> PublishServerAsync(string directory)
    {
        var configuration = typeof(BenchProgram).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var project = Path.Combine(RepositoryRoot(), "src", "ChatMerge", "ChatMerge.csproj");
        Console.Error.WriteLine($"Publishing the server ({configuration}, {RuntimeInformation.RuntimeIdentifier}) ...");
        await using var publish = ChildProcess.Start("dotnet",
            ["publish", project, "-c", configuration, "-r", RuntimeInformation.RuntimeIdentifier, "--self-contained", "false", "-o", directory, "-nologo"],
            new Dictionary<string, string>());
        if (await publish.WaitForExitAsync(TimeSpan.FromMinutes(10)) != 0)
            throw new InvalidOperationException("Publishing the server failed:\n" + publish.Tail());
        return Path.Combine(directory, "ChatMerge.dll");
    }

    public static Task<(ChildProcess Process, Uri Url)> StartSimulatorAsync() => StartHelperAsync("The simulator", "sim");

    /// <summary>The reference relay (<see cref="ReferenceRelay"/>) in front of <paramref name="simulator"/>.</summary>
    public static Task<(ChildProcess Process, Uri Url)> StartReferenceRelayAsync(Uri simulator) =>
        StartHelperAsync("The reference relay", "relay", simulator.ToString());

    // This program again, in a process of its own, on a free port; it prints "ready URL" once it listens.
    private static async Task<(ChildProcess Process, Uri Url)> StartHelperAsync(string name, string command, params string[] arguments)
    {
        var port = ChildProcess.FreePort();
        var ready = new TaskCompletionSource();
        var process = ChildProcess.Start("dotnet", [typeof(BenchProgram).Assembly.Location, command, port.ToString(), .. arguments],
            new Dictionary<string, string>());
        process.Line += line => { if (line.StartsWith("ready ", StringComparison.Ordinal)) ready.TrySetResult(); };
        if (await Task.WhenAny(ready.Task, Task.Delay(TimeSpan.FromSeconds(30))) != ready.Task)
            throw new InvalidOperationException($"{name} did not start:\n" + process.Tail());
        return (process, new Uri($"http://127.0.0.1:{port}"));
    }

    private static readonly string RunKeyRingSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    /// <summary>Starts the server and waits for /health; returns the time from process start to the first healthy answer.</summary>
    public static async Task<(ChildProcess Process, Uri Url, TimeSpan StartUp)> StartServerAsync(
        string serverDll, HttpClient http, Uri simulator, string databaseUrl, string workingDirectory)
    {
        var port = ChildProcess.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}");
        var environment = new Dictionary<string, string>
        {
            ["SERVER_HOST"] = "127.0.0.1",
            ["SERVER_PORT"] = port.ToString(),
            ["DATABASE_URL"] = databaseUrl,
            ["OPENAI_BASE_URL"] = simulator.ToString(),
            ["ANTHROPIC_BASE_URL"] = simulator.ToString(),
            ["GEMINI_BASE_URL"] = simulator.ToString(),
            ["OPENAI_API_KEY"] = StreamClient.SimulatorKey,
            ["ANTHROPIC_API_KEY"] = "sim-anthropic-key",
            ["GOOGLE_API_KEY"] = "sim-gemini-key",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // The driver is one client sending thousands of streams a minute: no rate limit.
            ["CHATMERGE_RATE_LIMIT_STREAMS"] = "100000000",
            ["CHATMERGE_RATE_LIMIT_REQUESTS"] = "100000000",
            // Warnings only: a log line per request would measure the console, not the relay.
            ["Logging__LogLevel__Default"] = "Warning",
        };
        // On PostgreSQL the key ring lives in the database, sealed with a secret the server requires; the
        // benchmark's database is a scratch one, so a secret of this run's own does (unless one is given).
        if (DatabaseSettings.Parse(databaseUrl).Provider == DatabaseProvider.PostgreSql
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CHATMERGE_KEY_RING_SECRET")))
            environment["CHATMERGE_KEY_RING_SECRET"] = RunKeyRingSecret;
        var started = Stopwatch.GetTimestamp();
        // A scratch working directory: the server reads a .env from there, and the developer's must not leak in.
        var process = ChildProcess.Start("dotnet", [serverDll], environment, workingDirectory);
        while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
                throw new InvalidOperationException("The server exited:\n" + process.Tail());
            try
            {
                using var response = await http.GetAsync(new Uri(url, "/health"));
                if (response.IsSuccessStatusCode)
                    return (process, url, Stopwatch.GetElapsedTime(started));
            }
            catch (HttpRequestException) { }
            await Task.Delay(5);
        }
        throw new InvalidOperationException("The server did not become healthy in 60 s:\n" + process.Tail());
    }
}
