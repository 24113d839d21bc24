using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using ChatMerge.Hosting;
using ChatMerge.Simulator;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatMerge.Tests.Operations;

/// <summary>
/// The built server as its own process, configured like production (LOG_FORMAT=json), so that what
/// is checked is what an operator's log collector would read on standard output.
/// </summary>
public sealed class LoggingTests
{
    [Fact]
    public async Task Json_logs_are_one_object_per_line_with_addresses_database_chat_scope_and_shutdown_and_no_text_or_key()
    {
        await using var simulator = await SimulatorHost.StartAsync(new SimulatorOptions());
        var directory = Path.Combine(Path.GetTempPath(), "chatmerge-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "logs.db");
        var marker = "marker-" + Guid.NewGuid().ToString("N");
        var lines = new List<string>();
        using var started = new SemaphoreSlim(0);

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChatMerge.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["LOG_FORMAT"] = "json";
        start.Environment["SERVER_HOST"] = "127.0.0.1";
        start.Environment["SERVER_PORT"] = "0";
        start.Environment["DATABASE_URL"] = "sqlite:///" + database;
        start.Environment["GEMINI_BASE_URL"] = simulator.BaseUrl.ToString();
        start.Environment["GOOGLE_API_KEY"] = "sim-gemini-key";
        start.Environment["Providers__MaxRetries"] = "0";
        // SQL at Information, to show that message text never reaches the log through it either.
        start.Environment["Logging__LogLevel__Microsoft.EntityFrameworkCore.Database.Command"] = "Information";

        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (lines)
                lines.Add(e.Data);
            if (e.Data.Contains("ChatMerge listening on", StringComparison.Ordinal))
                started.Release();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (lines) lines.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(60)), "the server did not log its start: " + string.Join("\n", lines));
            JsonElement startLine;
            lock (lines)
                startLine = JsonDocument.Parse(lines.Single(l => l.Contains("ChatMerge listening on", StringComparison.Ordinal))).RootElement;
            var state = startLine.GetProperty("State");
            Assert.Equal("SQLite " + database, state.GetProperty("Database").GetString());
            var address = state.GetProperty("Addresses").GetString()!;
            Assert.StartsWith("http://127.0.0.1:", address);

            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var chat = await (await client.PostAsJsonAsync("/api/chats", new { provider = "gemini", model = "gemini-2.0-flash" })).Content.ReadFromJsonAsync<JsonElement>();
            var chatId = chat.GetProperty("id").GetString()!;
            var ok = await Sse.PostAsync(client, $"/api/chats/{chatId}/completions", new { content = "Remember " + marker });
            var failed = await Sse.PostAsync(client, $"/api/chats/{chatId}/completions", new { content = "[[sim:fault=500]] " + marker });
            Assert.Equal("done", ok.Last?.Type);
            Assert.Equal("error", failed.Last?.Type);

            Assert.Equal(0, kill(process.Id, 15)); // SIGTERM, as systemd and docker stop send it
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
            Assert.Equal(0, process.ExitCode);

            List<string> all;
            lock (lines)
                all = [.. lines];
            var entries = all.Select(l => JsonDocument.Parse(l).RootElement).ToList(); // throws on any line that is not one JSON object
            Assert.All(entries, e => Assert.Equal(JsonValueKind.String, e.GetProperty("LogLevel").ValueKind));

            var warning = entries.Single(e => e.GetProperty("LogLevel").GetString() == "Warning" && e.GetProperty("Category").GetString() == "ChatMerge.Completions.CompletionStreamer");
            var scopes = warning.GetProperty("Scopes").EnumerateArray().ToList();
            Assert.Contains(scopes, s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("ChatId", out var id) && id.GetString() == chatId);
            Assert.Contains(scopes, s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("RequestId", out _));
            Assert.Contains(entries, e => e.GetProperty("Category").GetString() == "Microsoft.EntityFrameworkCore.Database.Command");

            Assert.Contains(entries, e => e.GetProperty("Message").GetString()!.StartsWith("Shutting down: ", StringComparison.Ordinal));
            Assert.Contains(entries, e => e.GetProperty("Message").GetString() == "ChatMerge stopped");
            Assert.DoesNotContain(all, l => l.Contains(marker, StringComparison.Ordinal));
            Assert.DoesNotContain(all, l => l.Contains("sim-gemini-key", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("WARNING", LogLevel.Warning)]
    [InlineData("info", LogLevel.Information)]
    [InlineData("Debug", LogLevel.Debug)]
    [InlineData("CRITICAL", LogLevel.Critical)]
    public void Log_level_accepts_the_original_names(string value, LogLevel expected) =>
        Assert.Equal(expected, Logs.ParseLevel(value));

    [Fact]
    public void Unknown_log_level_is_rejected_with_the_choices() =>
        Assert.Contains("DEBUG, INFO, WARNING", Assert.Throws<SettingsException>(() => Logs.ParseLevel("loud")).Message);

    [Fact]
    public async Task Log_level_variable_sets_the_default_level_of_the_server()
    {
        var server = new ServerFixture();
        await server.InitializeAsync();
        try
        {
            await server.StopAsync();
            await server.StartAsync([new("LOG_LEVEL", "WARNING")]);
            var logger = server.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ChatMerge.Anything");

            Assert.False(logger.IsEnabled(LogLevel.Information));
            Assert.True(logger.IsEnabled(LogLevel.Warning));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("/api/chats/0199a3b4-1c2d-7e8f-9a0b-1c2d3e4f5a6b/completions", true)]
    [InlineData("/api/chats/0199a3b4-1c2d-7e8f-9a0b-1c2d3e4f5a6b", true)]
    [InlineData("/api/chats/not-an-id/messages", false)]
    [InlineData("/api/chats", false)]
    [InlineData("/api/merge", false)]
    public void Chat_id_scope_takes_only_well_formed_ids(string path, bool hasId) =>
        Assert.Equal(hasId, Logs.ChatIdOf(path) is not null);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
