namespace ChatMerge.Benchmarks.Load;

/// <summary>What one load run does. The defaults are the figures BENCHMARKS.md reports; --quick is a smoke run.</summary>
internal sealed record LoadSettings
{
    public int SequentialPairs { get; init; } = 500;
    public int SequentialTokens { get; init; } = 20;
    public int[] ConcurrencyLevels { get; init; } = [100, 500, 1000];

    /// <summary>Streams each concurrent worker runs back to back; its first one opens the connections and is not timed.</summary>
    public int StreamsPerWorker { get; init; } = 4;

    /// <summary>Concurrent streams are paced like a real model (50 tokens at 20 ms = 50 tokens/s), so the simulator is not the bottleneck.</summary>
    public int ConcurrentTokens { get; init; } = 50;
    public int ConcurrentDelayMs { get; init; } = 20;

    /// <summary>
    /// Before anything is timed: rounds of this many concurrent workers, direct and relayed, untimed.
    /// The runtime recompiles hot code with what it observed over the first few thousand requests
    /// (tiered compilation, PGO); the figures are the server's after that, as it runs for days.
    /// </summary>
    public int WarmUpWorkers { get; init; } = 250;
    public int WarmUpRounds { get; init; } = 2;

    public int ListChats { get; init; } = 10_000;
    public int LongChatMessages { get; init; } = 5_000;
    public int MergeSourceMessages { get; init; } = 1_000;
    public int DataRepeats { get; init; } = 30;
    public int ChurnOperations { get; init; } = 500;

    public string OutputDirectory { get; init; } = Path.Combine("BenchmarkDotNet.Artifacts", "load");

    /// <summary>DATABASE_URL as given (PostgreSQL when it says so); null runs on a fresh SQLite file.</summary>
    public string? DatabaseUrl { get; init; } = Environment.GetEnvironmentVariable("DATABASE_URL") is { Length: > 0 } url ? url : null;

    public static LoadSettings Parse(string[] args)
    {
        var settings = new LoadSettings();
        for (var i = 0; i < args.Length; i++)
        {
            settings = args[i] switch
            {
                "--quick" => settings with
                {
                    SequentialPairs = 50, ConcurrencyLevels = [20, 50], StreamsPerWorker = 2, WarmUpWorkers = 20, WarmUpRounds = 1, ListChats = 1_000,
                    LongChatMessages = 500, MergeSourceMessages = 100, DataRepeats = 5, ChurnOperations = 50,
                },
                "--out" when i + 1 < args.Length => settings with { OutputDirectory = args[++i] },
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'. Use --quick or --out DIR."),
            };
        }
        return settings;
    }
}
