using System.Collections.Concurrent;
using System.Diagnostics;

namespace ChatMerge.Benchmarks.Load;

/// <summary>
/// Phase result of one side (direct, ChatMerge or the reference relay) of a relay run. PeakRss and
/// CpuSeconds are the relaying process's (0 for the direct side).
/// </summary>
internal sealed record PhaseResult(
    List<StreamSample> Timed, int Requests, int Errors, long Tokens, double Seconds, long PeakRss, double CpuSeconds, string? FirstError)
{
    public double TokensPerSecond => Tokens / Seconds;
    public double CpuMicrosecondsPerToken => Tokens == 0 ? double.NaN : CpuSeconds * 1e6 / Tokens;
    public Stats FirstToken => Stats.Of(Timed.Where(s => s.Ok).Select(s => s.FirstTokenMs));
    public Stats Total => Stats.Of(Timed.Where(s => s.Ok).Select(s => s.TotalMs));
}

/// <summary>A relaying process under test: ChatMerge or the reference relay.</summary>
internal sealed record RelayTarget(Uri Url, ChildProcess Process);

/// <summary>
/// One level of load: the same streams straight to the simulator, through ChatMerge and through the reference
/// relay. Reference figures are compared with ReferenceDirect: the direct phase they alternated with
/// (sequential), or the level's one direct phase (concurrent).
/// </summary>
internal sealed record RelayRun(string Name, int Streams, PhaseResult Direct, PhaseResult Relay, PhaseResult ReferenceDirect, PhaseResult Reference);

/// <summary>
/// Time to first token and throughput through ChatMerge versus straight to the simulator, with the same
/// request, and through the reference relay (<see cref="ReferenceRelay"/>) as a yardstick for the machine.
/// The sides run the same schedule one after the other (never at once), so none steals another's CPU.
/// </summary>
internal sealed class RelayBenchmark(LoadSettings settings, HttpClient http, Uri simulator, RelayTarget server, RelayTarget reference, BenchDatabase database)
{
    public async Task<RelayRun> SequentialAsync()
    {
        var content = $"How fast is the relay? [[sim:tokens={settings.SequentialTokens}]]";
        var chats = await database.CreateChatsAsync(settings.SequentialPairs + 20);
        var next = 0;
        var (direct, relay) = await PairsAsync(server, () => StreamClient.RelayAsync(http, server.Url, chats[next++], content, default));
        // The reference after ChatMerge, not in turn with it: taking turns, the two relays disturbed each other on
        // two cores (a thread pool spins for a moment after each request); ChatMerge's p99 read 4.2-4.4 ms, not 2.6-3.0.
        var (referenceDirect, yardstick) = await PairsAsync(reference, () => StreamClient.RelayAsync(http, reference.Url, Guid.NewGuid(), content, default));
        return new RelayRun("sequential", 1, direct, relay, referenceDirect, yardstick);

        async Task<(PhaseResult Direct, PhaseResult Relay)> PairsAsync(RelayTarget target, Func<Task<StreamSample>> relayed)
        {
            // Warm-up: JIT, connection pools, EF Core's compiled queries, the SQLite page cache.
            for (var i = 0; i < 20; i++)
            {
                await StreamClient.DirectAsync(http, simulator, content, default);
                await relayed();
            }

            var directSamples = new List<StreamSample>();
            var relaySamples = new List<StreamSample>();
            await using var memory = new MemorySampler(target.Process);
            var cpu = target.Process.CpuTime();
            for (var i = 0; i < settings.SequentialPairs; i++)
            {
                // Alternating the order cancels any drift (a GC, a neighbour's burst) between the two sides.
                if (i % 2 == 0)
                {
                    directSamples.Add(await StreamClient.DirectAsync(http, simulator, content, default));
                    relaySamples.Add(await relayed());
                }
                else
                {
                    relaySamples.Add(await relayed());
                    directSamples.Add(await StreamClient.DirectAsync(http, simulator, content, default));
                }
            }
            var cpuSeconds = (target.Process.CpuTime() - cpu).TotalSeconds;
            return (Summarize(directSamples, directSamples, directSamples.Sum(s => s.TotalMs) / 1000, 0, 0),
                Summarize(relaySamples, relaySamples, relaySamples.Sum(s => s.TotalMs) / 1000, memory.Peak, cpuSeconds));
        }
    }

    public async Task<RelayRun> ConcurrentAsync(int streams)
    {
        var content = $"Keep streaming. [[sim:tokens={settings.ConcurrentTokens}]] [[sim:delay={settings.ConcurrentDelayMs}]]";
        var chats = await database.CreateChatsAsync(streams * settings.StreamsPerWorker);
        var direct = await PhaseAsync(streams, (_, _) => StreamClient.DirectAsync(http, simulator, content, default), relaying: null);
        await Task.Delay(1_000);
        var relay = await PhaseAsync(streams, (worker, round) =>
            StreamClient.RelayAsync(http, server.Url, chats[worker * settings.StreamsPerWorker + round], content, default), server);
        await Task.Delay(1_000);
        var yardstick = await PhaseAsync(streams, (_, _) =>
            StreamClient.RelayAsync(http, reference.Url, Guid.NewGuid(), content, default), reference);
        await Task.Delay(1_000);
        return new RelayRun($"concurrent {streams}", streams, direct, relay, direct, yardstick);
    }

    /// <summary>
    /// <paramref name="streams"/> workers each run their streams back to back, so that many streams are
    /// open at any moment. Starts are spread over one stream's length, as users arrive, not all in one tick.
    /// </summary>
    private async Task<PhaseResult> PhaseAsync(int streams, Func<int, int, Task<StreamSample>> run, RelayTarget? relaying)
    {
        var samples = new ConcurrentBag<(int Round, StreamSample Sample)>();
        var spread = TimeSpan.FromMilliseconds((double)settings.ConcurrentTokens * settings.ConcurrentDelayMs / streams);
        await using var memory = new MemorySampler((relaying ?? server).Process);
        var cpu = relaying?.Process.CpuTime() ?? TimeSpan.Zero;
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
        var cpuSeconds = relaying is null ? 0 : (relaying.Process.CpuTime() - cpu).TotalSeconds;
        return Summarize(all, timed, seconds, relaying is null ? 0 : memory.Peak, cpuSeconds);
    }

    private static PhaseResult Summarize(List<StreamSample> all, List<StreamSample> timed, double seconds, long peakRss, double cpuSeconds) =>
        new(timed, all.Count, all.Count(s => !s.Ok), all.Sum(s => (long)s.Tokens), seconds, peakRss, cpuSeconds, all.FirstOrDefault(s => !s.Ok).Error);
}
