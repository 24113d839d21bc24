using System.Collections.Concurrent;
using System.Diagnostics;

namespace ChatMerge.Benchmarks.Load;

/// <summary>Phase result of one side (relay or direct) of a relay run.</summary>
internal sealed record PhaseResult(List<StreamSample> Timed, int Requests, int Errors, long Tokens, double Seconds, long PeakRss, string? FirstError)
{
    public double TokensPerSecond => Tokens / Seconds;
    public Stats FirstToken => Stats.Of(Timed.Where(s => s.Ok).Select(s => s.FirstTokenMs));
    public Stats Total => Stats.Of(Timed.Where(s => s.Ok).Select(s => s.TotalMs));
}

/// <summary>
/// Time to first token and throughput through ChatMerge versus straight to the simulator, with the same
/// request. Both sides run the same schedule one after the other (never at once), so neither steals the other's CPU.
/// </summary>
internal sealed class RelayBenchmark(LoadSettings settings, HttpClient http, Uri server, Uri simulator, ChildProcess serverProcess, BenchDatabase database)
{
    public async Task<(PhaseResult Direct, PhaseResult Relay)> SequentialAsync()
    {
        var content = $"How fast is the relay? [[sim:tokens={settings.SequentialTokens}]]";
        var chats = await database.CreateChatsAsync(settings.SequentialPairs + 20);
        var next = 0;
        // Warm-up: JIT, connection pools, EF Core's compiled queries, the SQLite page cache.
        for (var i = 0; i < 20; i++)
        {
            await StreamClient.DirectAsync(http, simulator, content, default);
            await StreamClient.RelayAsync(http, server, chats[next++], content, default);
        }

        var direct = new List<StreamSample>();
        var relay = new List<StreamSample>();
        double directTime = 0, relayTime = 0;
        await using var memory = new MemorySampler(serverProcess);
        for (var i = 0; i < settings.SequentialPairs; i++)
        {
            // Alternating the order cancels any drift (a GC, a neighbour's burst) between the two sides.
            if (i % 2 == 0)
            {
                direct.Add(await StreamClient.DirectAsync(http, simulator, content, default));
                relay.Add(await StreamClient.RelayAsync(http, server, chats[next++], content, default));
            }
            else
            {
                relay.Add(await StreamClient.RelayAsync(http, server, chats[next++], content, default));
                direct.Add(await StreamClient.DirectAsync(http, simulator, content, default));
            }
            directTime += direct[^1].TotalMs;
            relayTime += relay[^1].TotalMs;
        }
        return (Summarize(direct, direct, directTime / 1000, 0), Summarize(relay, relay, relayTime / 1000, memory.Peak));
    }

    public async Task<(PhaseResult Direct, PhaseResult Relay)> ConcurrentAsync(int streams)
    {
        var content = $"Keep streaming. [[sim:tokens={settings.ConcurrentTokens}]] [[sim:delay={settings.ConcurrentDelayMs}]]";
        var chats = await database.CreateChatsAsync(streams * settings.StreamsPerWorker);
        var direct = await PhaseAsync(streams, (_, _) => StreamClient.DirectAsync(http, simulator, content, default), measureServer: false);
        await Task.Delay(1_000);
        var relay = await PhaseAsync(streams, (worker, round) =>
            StreamClient.RelayAsync(http, server, chats[worker * settings.StreamsPerWorker + round], content, default), measureServer: true);
        await Task.Delay(1_000);
        return (direct, relay);
    }

    /// <summary>
    /// <paramref name="streams"/> workers each run their streams back to back, so that many streams are
    /// open at any moment. Starts are spread over one stream's length, as users arrive, not all in one tick.
    /// </summary>
    private async Task<PhaseResult> PhaseAsync(int streams, Func<int, int, Task<StreamSample>> run, bool measureServer)
    {
        var samples = new ConcurrentBag<(int Round, StreamSample Sample)>();
        var spread = TimeSpan.FromMilliseconds((double)settings.ConcurrentTokens * settings.ConcurrentDelayMs / streams);
        await using var memory = new MemorySampler(serverProcess);
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async worker =>
        {
            await Task.Delay(spread * worker);
            for (var round = 0; round < settings.StreamsPerWorker; round++)
                samples.Add((round, await run(worker, round)));
        }));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var all = samples.Select(s => s.Sample).ToList();
        // A worker's first stream opens its connections (driver to server, server to simulator): warm-up, not timed.
        var timed = samples.Where(s => s.Round > 0 || settings.StreamsPerWorker == 1).Select(s => s.Sample).ToList();
        return Summarize(all, timed, seconds, measureServer ? memory.Peak : 0);
    }

    private static PhaseResult Summarize(List<StreamSample> all, List<StreamSample> timed, double seconds, long peakRss) =>
        new(timed, all.Count, all.Count(s => !s.Ok), all.Sum(s => (long)s.Tokens), seconds, peakRss, all.FirstOrDefault(s => !s.Ok).Error);
}
