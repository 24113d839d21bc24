using System.Diagnostics;
using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChatMerge.Tests.Postgres;

/// <summary>
/// Many simultaneous streams through two instances on one PostgreSQL database. CI runs a bounded
/// count; CHATMERGE_LOAD_STREAMS=500 gives the README's figures. It asserts that nothing is lost,
/// never how fast: the timings are printed, not checked.
/// </summary>
public sealed class LoadTests(Instances instances, ITestOutputHelper output) : IClassFixture<Instances>
{
    private static int Streams => int.TryParse(Environment.GetEnvironmentVariable("CHATMERGE_LOAD_STREAMS"), out var n) && n > 0 ? n : 100;

    [PostgresFact]
    public async Task Concurrent_streams_through_two_instances_all_finish_and_every_answer_is_stored()
    {
        await instances.A.Client.PostAsJsonAsync("/api/api-keys", new { provider = "openai", api_key = Instances.StoredKey });
        var streams = Streams;
        var chats = await Task.WhenAll(Enumerable.Range(0, streams)
            .Select(async i => (await (i % 2 == 0 ? instances.A : instances.B).CreateChatAsync(title: $"load {i}")).GetProperty("id").GetString()!));
        using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };

        var wall = Stopwatch.StartNew();
        var runs = await Task.WhenAll(chats.Select(async (chatId, i) =>
        {
            var server = i % 2 == 0 ? instances.A : instances.B;
            var watch = Stopwatch.StartNew();
            var result = await Sse.PostAsync(client, new Uri(server.BaseAddress, $"/api/chats/{chatId}/completions").ToString(),
                new { content = "[[sim:tokens=40]] [[sim:delay=25]] load" });
            return (result, watch.Elapsed);
        }));
        wall.Stop();

        var errors = runs.Count(r => r.result.Last?.Type != "done");
        var times = runs.Select(r => r.Elapsed.TotalMilliseconds).Order().ToArray();
        output.WriteLine($"{streams} streams of 40 chunks (25 ms apart) through 2 instances on PostgreSQL: " +
            $"wall {wall.Elapsed.TotalSeconds:F1} s, errors {errors}, per stream p50 {Percentile(times, 0.50):F0} ms, " +
            $"p99 {Percentile(times, 0.99):F0} ms, max {times[^1]:F0} ms, server process working set {Environment.WorkingSet / (1024 * 1024)} MiB");

        Assert.Equal(0, errors);
        Assert.All(runs, r => Assert.Equal(40, r.result.Text("content").Split(' ', StringSplitOptions.RemoveEmptyEntries).Length));
        var ids = string.Join(",", runs.Select(r => instances.Database.IdLiteral(r.result.Last!.Data)));
        Assert.Equal(streams, await instances.Database.QueryScalarAsync<long>($"SELECT COUNT(*) FROM messages WHERE role = 'assistant' AND is_complete AND id IN ({ids})"));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
