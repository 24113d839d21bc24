using System.Net.Http.Json;
using System.Text.Json;
using ChatMerge.Data;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Benchmarks.Load;

/// <summary>
/// One load run: start-up and idle memory, the relay against the simulator (sequential and concurrent),
/// then data at scale. Prints a Markdown table per part and saves Markdown and JSON.
/// </summary>
internal static class LoadDriver
{
    public static async Task<int> RunAsync(LoadSettings settings)
    {
#if DEBUG
        Console.Error.WriteLine("Warning: a Debug build measures the debugger-friendly code. Use -c Release.");
#endif
        ThreadPool.SetMinThreads(Math.Max(64, Environment.ProcessorCount * 8), 64);
        var scratch = Directory.CreateTempSubdirectory("chatmerge-bench-").FullName;
        var databaseUrl = settings.DatabaseUrl ?? "sqlite:///" + Path.Combine(scratch, "chat_app.db");
        var database = new BenchDatabase(DatabaseSettings.Parse(databaseUrl));
        using var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseProxy = false,
        }) { Timeout = TimeSpan.FromMinutes(5) };
        var report = new Report
        {
            Command = "dotnet run -c Release --project bench/ChatMerge.Benchmarks -- load" + (settings.ConcurrencyLevels.Length < 3 ? " --quick" : ""),
            Database = database.Settings.Provider == DatabaseProvider.Sqlite ? "SQLite (fresh file, WAL)" : database.Settings.Description,
            Processes = "server (published Release, ReadyToRun, own process), simulator (own process), reference relay (own process, idle while ChatMerge is measured), driver: four processes on one machine",
        };

        var serverDll = await Servers.PublishServerAsync(Path.Combine(scratch, "server"));
        var (simulatorProcess, simulator) = await Servers.StartSimulatorAsync();
        await using var _ = simulatorProcess;
        try
        {
            // Start-up: first on an empty database (migrations run), then a restart on the existing one.
            var (first, _, coldStart) = await Servers.StartServerAsync(serverDll, http, simulator, databaseUrl, scratch);
            await using (first)
            {
                await using var check = database.Open();
                if (await check.Chats.AnyAsync())
                    throw new InvalidOperationException("DATABASE_URL points at a database with chats: the benchmark needs an empty scratch database.");
            }
            var (serverProcess, server, warmStart) = await Servers.StartServerAsync(serverDll, http, simulator, databaseUrl, scratch);
            await using var __ = serverProcess;
            await Task.Delay(2_000);
            var idle = serverProcess.Memory().Rss;
            await FirstRequestsAsync(http, server);
            await Task.Delay(2_000);
            var idleServed = serverProcess.Memory().Rss;
            report.Add(new ReportTable("Server start-up and idle memory", ["Measure", "Value"],
            [
                ["Start-up to healthy, empty database (migrations)", $"{coldStart.TotalMilliseconds:0} ms"],
                ["Start-up to healthy, existing database", $"{warmStart.TotalMilliseconds:0} ms"],
                ["Idle RSS after start", $"{Report.Megabytes(idle)} MB"],
                ["Idle RSS after one request of each kind (EF Core, the provider SDK loaded)", $"{Report.Megabytes(idleServed)} MB"],
            ]));
            report.Figures["startup_empty_db_ms"] = coldStart.TotalMilliseconds;
            report.Figures["startup_existing_db_ms"] = warmStart.TotalMilliseconds;
            report.Figures["idle_rss_mb"] = idle / 1048576.0;
            report.Figures["idle_rss_after_first_requests_mb"] = idleServed / 1048576.0;

            var (referenceProcess, referenceUrl) = await Servers.StartReferenceRelayAsync(simulator);
            await using var ___ = referenceProcess;
            var relay = new RelayBenchmark(settings, http, simulator, new RelayTarget(server, serverProcess),
                new RelayTarget(referenceUrl, referenceProcess), database);
            for (var round = 1; round <= settings.WarmUpRounds; round++)
            {
                Console.Error.WriteLine($"... warm-up {round} of {settings.WarmUpRounds} ({settings.WarmUpWorkers} concurrent streams, untimed)");
                await relay.ConcurrentAsync(settings.WarmUpWorkers);
            }
            var runs = new List<RelayRun> { await relay.SequentialAsync() };
            foreach (var level in settings.ConcurrencyLevels)
            {
                Console.Error.WriteLine($"... {level} concurrent streams");
                runs.Add(await relay.ConcurrentAsync(level));
            }
            await Task.Delay(5_000);
            var idleAfterLoad = serverProcess.Memory();
            RelayTables(report, runs, settings, idleAfterLoad);

            Console.Error.WriteLine("... data at scale");
            await DataTables(report, new DataBenchmark(settings, http, server, database));
            Targets(report, runs, idle, coldStart, warmStart);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }

        report.Finish();
        var saved = await report.SaveAsync(settings.OutputDirectory);
        Console.WriteLine(report.ToMarkdown().Split("### Targets")[1].Insert(0, "### Targets"));
        Console.WriteLine($"Saved {saved}.md and {saved}.json");
        return 0;
    }

    private static void RelayTables(Report report, List<RelayRun> runs,
        LoadSettings settings, (long Rss, long Peak) afterLoad)
    {
        var f = Report.Format;
        report.Add(new ReportTable("Relay: time to first token (ms)",
            ["Run", "Timed streams", "Direct p50 / p95 / p99", "ChatMerge p50 / p95 / p99", "Added p50", "Added p95", "Added p99"],
            runs.Select(r =>
            {
                var (d, c) = (r.Direct.FirstToken, r.Relay.FirstToken);
                return new[]
                {
                    r.Name, $"{c.Count}", $"{f(d.P50)} / {f(d.P95)} / {f(d.P99)}", $"{f(c.P50)} / {f(c.P95)} / {f(c.P99)}",
                    f(c.P50 - d.P50), f(c.P95 - d.P95), f(c.P99 - d.P99),
                };
            }).ToList(),
            $"Measured after a warm-up of {settings.WarmUpRounds} × {settings.WarmUpWorkers} workers × {settings.StreamsPerWorker} streams, " +
            "direct and through both relays (the runtime's tiered compilation settles). " +
            $"Added = ChatMerge percentile − direct percentile. Sequential: {settings.SequentialTokens}-token answers, " +
            "direct and relay requests alternate. Concurrent: every worker runs " +
            $"{settings.StreamsPerWorker} streams of {settings.ConcurrentTokens} tokens paced {settings.ConcurrentDelayMs} ms apart; " +
            "its first stream opens the connections and is not timed (errors count in all)."));

        report.Add(new ReportTable("Relay: throughput, errors, memory",
            ["Run", "Streams (direct / relay)", "Errors (direct / relay)", "Tokens/s direct", "Tokens/s relayed", "Relayed / direct",
                "Total ms p50 (direct / relay)", "Server CPU per token", "Server peak RSS"],
            runs.Select(r => new[]
            {
                r.Name, $"{r.Direct.Requests} / {r.Relay.Requests}", $"{r.Direct.Errors} / {r.Relay.Errors}",
                f(r.Direct.TokensPerSecond), f(r.Relay.TokensPerSecond), $"{100 * r.Relay.TokensPerSecond / r.Direct.TokensPerSecond:0.0}%",
                $"{f(r.Direct.Total.P50)} / {f(r.Relay.Total.P50)}", $"{f(r.Relay.CpuMicrosecondsPerToken)} µs",
                $"{Report.Megabytes(r.Relay.PeakRss)} MB",
            }).ToList(),
            $"Sequential tokens/s is one stream's rate (tokens over its total time). Server CPU per token: the server's CPU time " +
            "(user and kernel) over the phase divided by the tokens relayed, each completion's fixed work included. " +
            "Server RSS 5 s after the last stream: " +
            $"{Report.Megabytes(afterLoad.Rss)} MB; VmHWM (peak since start): {Report.Megabytes(afterLoad.Peak)} MB." +
            string.Concat(runs.Where(r => r.Relay.FirstError is not null || r.Direct.FirstError is not null)
                .Select(r => $" First error in {r.Name}: {r.Relay.FirstError ?? r.Direct.FirstError}."))));

        report.Add(new ReportTable("Reference relay: the least a relay does, on the same machine",
            ["Run", "Added p50 (reference / ChatMerge)", "Added p99 (reference / ChatMerge)", "Relayed / direct (reference / ChatMerge)",
                "CPU per token (reference / ChatMerge)"],
            runs.Select(r =>
            {
                var (d, xd, x, c) = (r.Direct.FirstToken, r.ReferenceDirect.FirstToken, r.Reference.FirstToken, r.Relay.FirstToken);
                return new[]
                {
                    r.Name, $"{f(x.P50 - xd.P50)} / {f(c.P50 - d.P50)}", $"{f(x.P99 - xd.P99)} / {f(c.P99 - d.P99)}",
                    $"{100 * r.Reference.TokensPerSecond / r.ReferenceDirect.TokensPerSecond:0.0}% / {100 * r.Relay.TokensPerSecond / r.Direct.TokensPerSecond:0.0}%",
                    $"{f(r.Reference.CpuMicrosecondsPerToken)} / {f(r.Relay.CpuMicrosecondsPerToken)} µs",
                };
            }).ToList(),
            "The reference relay (`ReferenceRelay`, a process of its own) serves the same endpoint and events from the same " +
            "simulator request with Kestrel, HttpClient and the framework's SSE parser and writer, one JSON parse per chunk, " +
            "and nothing else: no database, no provider SDK, no Microsoft.Extensions.AI, no middleware. It runs each level's " +
            "schedule after ChatMerge's; sequentially it alternates with direct requests of its own. What it takes is what " +
            "this machine asks of any ASP.NET Core relay; the rest of ChatMerge's figure is the cost of its own work (storing the question and the answer, the SDK, the checks)." +
            string.Concat(runs.Where(r => r.Reference.FirstError is not null)
                .Select(r => $" First error in {r.Name}: {r.Reference.FirstError}."))));

        foreach (var r in runs)
        {
            var key = r.Name.Replace(' ', '_');
            report.Figures[$"{key}_server_cpu_us_per_token"] = r.Relay.CpuMicrosecondsPerToken;
            report.Figures[$"{key}_reference_ttft_added_p50_ms"] = r.Reference.FirstToken.P50 - r.ReferenceDirect.FirstToken.P50;
            report.Figures[$"{key}_reference_ttft_added_p99_ms"] = r.Reference.FirstToken.P99 - r.ReferenceDirect.FirstToken.P99;
            report.Figures[$"{key}_reference_tokens_ratio"] = r.Reference.TokensPerSecond / r.ReferenceDirect.TokensPerSecond;
            report.Figures[$"{key}_reference_cpu_us_per_token"] = r.Reference.CpuMicrosecondsPerToken;
            report.Figures[$"{key}_reference_errors"] = r.Reference.Errors;
            report.Figures[$"{key}_ttft_added_p50_ms"] = r.Relay.FirstToken.P50 - r.Direct.FirstToken.P50;
            report.Figures[$"{key}_ttft_added_p99_ms"] = r.Relay.FirstToken.P99 - r.Direct.FirstToken.P99;
            report.Figures[$"{key}_ttft_direct_p50_ms"] = r.Direct.FirstToken.P50;
            report.Figures[$"{key}_ttft_relay_p50_ms"] = r.Relay.FirstToken.P50;
            report.Figures[$"{key}_errors"] = r.Relay.Errors + r.Direct.Errors;
            report.Figures[$"{key}_tokens_ratio"] = r.Relay.TokensPerSecond / r.Direct.TokensPerSecond;
            report.Figures[$"{key}_peak_rss_mb"] = r.Relay.PeakRss / 1048576.0;
        }
    }

    // Rows of the data table that targets are checked against (their JSON keys derive from the names).
    private const string ListRow = "GET /api/chats (all chats)";
    private const string LongChatRow = "GET /api/chats/{id} (long chat)";
    private const string ConcatenateRow = "Persist merge, concatenate mode (one transaction)";
    private const string SynthesizedRow = "Persist merge, synthesized result (one transaction)";

    private static async Task DataTables(Report report, DataBenchmark data)
    {
        var f = Report.Format;
        await data.SeedAsync();
        var rows = new List<(string Name, Stats Stats)>
        {
            (ListRow, await data.ListAsync()),
            (LongChatRow, await data.LongChatAsync()),
            ("GET /api/chats/{id}/messages (long chat)", await data.LongChatMessagesAsync()),
            ("List query through EF Core alone (PostgreSQL's path; no HTTP or JSON)", await data.ListQueryAsync()),
            ("Long chat through EF Core alone (PostgreSQL's path; no HTTP or JSON)", await data.LongChatQueryAsync()),
            ("Load the two merge sources (DbContext)", await data.LoadSourcesAsync()),
            (ConcatenateRow, await data.PersistConcatenateAsync()),
            (SynthesizedRow, await data.PersistSynthesizedAsync()),
        };
        var sequential = await data.ChurnAsync(1);
        var concurrent = await data.ChurnAsync(16);
        rows.Add(("POST /api/chats (churn, 1 client)", sequential.Create));
        rows.Add(("DELETE /api/chats/{id} (churn, 1 client)", sequential.Delete));
        rows.Add(("POST /api/chats (churn, 16 clients)", concurrent.Create));
        rows.Add(("DELETE /api/chats/{id} (churn, 16 clients)", concurrent.Delete));
        report.Add(new ReportTable("Data at scale (ms)", ["Operation", "Runs", "p50", "p95", "p99", "Max"],
            rows.Select(r => new[] { r.Name, $"{r.Stats.Count}", f(r.Stats.P50), f(r.Stats.P95), f(r.Stats.P99), f(r.Stats.Max) }).ToList(),
            $"Churn: {f(sequential.OpsPerSecond)} requests/s with 1 client ({sequential.Errors} errors), " +
            $"{f(concurrent.OpsPerSecond)} requests/s with 16 ({concurrent.Errors} errors). HTTP rows are end to end (until the last byte)."));
        foreach (var (name, stats) in rows)
            report.Figures[$"data_{Key(name)}_p50_ms"] = stats.P50;
        report.Figures["churn_1_client_requests_per_s"] = sequential.OpsPerSecond;
        report.Figures["churn_16_clients_requests_per_s"] = concurrent.OpsPerSecond;
    }

    /// <summary>What a server that has been used holds at rest: a chat created, listed, read, answered and its messages read.</summary>
    private static async Task FirstRequestsAsync(HttpClient http, Uri server)
    {
        var created = await http.PostAsJsonAsync(new Uri(server, "/api/chats"), new { title = "First", provider = "openai", model = StreamClient.Model });
        created.EnsureSuccessStatusCode();
        var chat = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        (await http.GetAsync(new Uri(server, "/api/chats"))).EnsureSuccessStatusCode();
        (await http.GetAsync(new Uri(server, $"/api/chats/{chat}"))).EnsureSuccessStatusCode();
        var answer = await StreamClient.RelayAsync(http, server, chat, "Hello [[sim:tokens=20]]", default);
        if (!answer.Ok)
            throw new InvalidOperationException($"The first completion failed: {answer.Error}");
        (await http.GetAsync(new Uri(server, $"/api/chats/{chat}/messages"))).EnsureSuccessStatusCode();
    }

    private static void Targets(Report report, List<RelayRun> runs,
        long idle, TimeSpan coldStart, TimeSpan warmStart)
    {
        var figures = report.Figures;
        var sequential = runs[0];
        report.Check("Added time to first token, sequential, median", "≤ 0.5 ms", figures["sequential_ttft_added_p50_ms"], "ms",
            figures["sequential_ttft_added_p50_ms"] <= 0.5);
        report.Check("Added time to first token, sequential, p99", "≤ 2 ms", figures["sequential_ttft_added_p99_ms"], "ms",
            figures["sequential_ttft_added_p99_ms"] <= 2);
        if (figures.TryGetValue("concurrent_500_ttft_added_p99_ms", out var p99at500))
            report.Check("Added time to first token at 500 streams, p99", "≤ 10 ms", p99at500, "ms", p99at500 <= 10);
        var top = runs[^1];
        report.Check($"Errors at {top.Streams} concurrent streams", "0", top.Relay.Errors + top.Direct.Errors, "",
            top.Relay.Errors + top.Direct.Errors == 0, $"of {top.Relay.Requests} relayed");
        report.Check($"Server peak RSS at {top.Streams} streams", "≤ 300 MB", top.Relay.PeakRss / 1048576.0, "MB", top.Relay.PeakRss <= 300L << 20);
        var ratio = top.Relay.TokensPerSecond / top.Direct.TokensPerSecond;
        report.Check($"Tokens/s relayed vs direct at {top.Streams} streams", "≥ 95%", 100 * ratio, "%", ratio >= 0.95);
        Data("List all chats, p50", ListRow, 20);
        Data("Chat with its messages, p50", LongChatRow, 30);
        Data("Persist a merge, concatenate, p50", ConcatenateRow, 100);
        Data("Persist a merge, synthesized, p50", SynthesizedRow, 100);
        report.Check("Server idle RSS", "≤ 100 MB", idle / 1048576.0, "MB", idle <= 100L << 20);
        report.Check("Start-up to healthy", "≤ 1 s", warmStart.TotalMilliseconds, "ms", warmStart <= TimeSpan.FromSeconds(1),
            $"{coldStart.TotalMilliseconds:0} ms on an empty database");

        void Data(string target, string row, double limit)
        {
            var value = figures[$"data_{Key(row)}_p50_ms"];
            report.Check(target, $"≤ {limit} ms", value, "ms", value <= limit);
        }
    }

    private static string Key(string name) =>
        string.Join('_', name.Split([' ', '/', '(', ')', '{', '}', ',', '.'], StringSplitOptions.RemoveEmptyEntries));
}
