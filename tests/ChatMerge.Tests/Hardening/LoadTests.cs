using System.Diagnostics;
using System.Net.Http.Json;
using ChatMerge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChatMerge.Tests.Hardening;

/// <summary>One client opening hundreds of streams: the budgets are raised, as an operator would for a load test.</summary>
public sealed class LoadServerFixture : SimulatedServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        .. base.Settings(),
        new("CHATMERGE_RATE_LIMIT_STREAMS", "100000"),
        new("CHATMERGE_RATE_LIMIT_REQUESTS", "100000"),
        new("Providers:StreamIdleTimeout", "00:01:00"),
    ];
}

public sealed class LoadTests(LoadServerFixture server, ITestOutputHelper output) : IClassFixture<LoadServerFixture>
{
    private const int Streams = 500;

    [Fact]
    public async Task Five_hundred_concurrent_completions_all_finish_and_every_message_is_stored()
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Streams * 2 })
        {
            BaseAddress = server.BaseAddress,
            Timeout = TimeSpan.FromMinutes(5),
        };
        string[] providers = ["openai", "anthropic", "gemini"];
        string[] models = ["gpt-4o-mini", "claude-3-5-haiku-latest", "gemini-2.0-flash"];
        var chatIds = await Task.WhenAll(Enumerable.Range(0, Streams).Select(async i =>
        {
            var response = await client.PostAsJsonAsync("/api/chats", new { provider = providers[i % 3], model = models[i % 3], title = $"load {i}" });
            return (await HttpAssert.JsonAsync(response, System.Net.HttpStatusCode.Created)).GetProperty("id").GetString()!;
        }));

        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(chatIds.Select(async (chatId, i) =>
        {
            var started = TimeSpan.MinValue;
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/chats/{chatId}/completions")
            {
                Content = JsonContent.Create(new { content = $"load {i} [[sim:tokens=10]] [[sim:delay=150]]" }),
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var body = new System.Text.StringBuilder();
            while (await reader.ReadLineAsync() is { } line)
            {
                if (started == TimeSpan.MinValue && line.StartsWith("data: ", StringComparison.Ordinal))
                    started = clock.Elapsed;
                body.AppendLine(line);
            }
            return (Status: (int)response.StatusCode, Body: body.ToString(), Start: started, End: clock.Elapsed);
        }));
        var elapsed = clock.Elapsed;

        var failures = results.Where(r => r.Status != 200 || !r.Body.Contains("\"type\":\"done\"")).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} streams failed, e.g. {failures.FirstOrDefault().Body}");
        Assert.DoesNotContain(results, r => r.Body.Contains("locked", StringComparison.OrdinalIgnoreCase));

        var ids = string.Join(",", chatIds.Select(server.Database.IdLiteral));
        Assert.Equal(Streams, await server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM messages WHERE role = 'user' AND chat_id IN ({ids})"));
        Assert.Equal(Streams, await server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM messages WHERE role = 'assistant' AND is_complete AND chat_id IN ({ids})"));
        if (!server.Database.IsPostgres)
            Assert.Equal("ok", await server.QueryScalarAsync<string>("PRAGMA integrity_check"));

        // The most streams open at one moment (a stream is open from its first event to its end).
        var peak = results.SelectMany(r => new[] { (At: r.Start, Step: 1), (At: r.End, Step: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Step)
            .Aggregate((Open: 0, Peak: 0), (s, e) => (s.Open + e.Step, Math.Max(s.Peak, s.Open + e.Step))).Peak;
        output.WriteLine($"{Streams} streams in {elapsed.TotalSeconds:0.0} s, at most {peak} open at once, 0 failed, {2 * Streams} messages stored");
    }
}
