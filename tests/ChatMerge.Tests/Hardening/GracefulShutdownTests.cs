using System.Net.Http.Json;
using System.Text.Json;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ChatMerge.Tests.Hardening;

/// <summary>SIGTERM while answers stream: each stream ends with an error event and its partial answer is stored; a merge already written is saved.</summary>
public sealed class GracefulShutdownTests : ProcessTestBase
{
    [Fact]
    public async Task Sigterm_ends_in_flight_streams_and_stores_their_partial_answers()
    {
        var server = await StartServerAsync();
        var running = new List<LiveStream>();
        try
        {
            foreach (var (provider, model) in Models)
                for (var i = 0; i < 2; i++)
                    running.Add(LiveStream.Start(server.Client, await CreateChatAsync(server.Client, provider, model), $"slow answer {i} [[sim:tokens=400]] [[sim:delay=50]]"));
            await Task.WhenAll(running.Select(s => s.Started));

            var exitCode = await server.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, exitCode);
            await Task.WhenAll(running.Select(s => s.Completion));
        }
        finally
        {
            await server.DisposeAsync();
        }

        foreach (var stream in running)
        {
            Assert.Equal("error", stream.Events[^1].Type);
            Assert.Contains("shutting down", stream.Events[^1].Data);
        }

        await using var restarted = await StartServerAsync();
        foreach (var stream in running)
        {
            var messages = await HttpAssert.JsonAsync(await restarted.Client.GetAsync($"/api/chats/{stream.ChatId}/messages"));
            Assert.Equal(2, messages.GetArrayLength());
            Assert.Equal(stream.Content, messages[0].GetProperty("content").GetString());
            Assert.Equal(stream.Seen("content"), messages[1].GetProperty("content").GetString());
            Assert.True(messages[1].GetProperty("incomplete").GetBoolean());
        }
    }

    [Fact]
    public async Task Sigterm_while_a_written_merge_is_being_saved_still_saves_it()
    {
        var server = await StartServerAsync();
        var merge = new List<SseEvent>();
        try
        {
            var ids = new List<string>();
            foreach (var name in new[] { "a", "b" })
            {
                var id = await CreateChatAsync(server.Client, "openai", "gpt-4o-mini");
                (await server.Client.PostAsJsonAsync($"/api/chats/{id}/completions", new { content = $"{name} [[sim:tokens=3]]" })).EnsureSuccessStatusCode();
                ids.Add(id);
            }

            // Another writer holds the database: the merge, written at once (concatenate), waits to be saved.
            await using var writer = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
            await writer.OpenAsync();
            await using (var begin = new SqliteCommand("BEGIN IMMEDIATE", writer))
                await begin.ExecuteNonQueryAsync();

            var saving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reading = Task.Run(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/merge")
                {
                    Content = JsonContent.Create(new { chat_ids = ids, merge_provider = "openai", merge_model = "gpt-4o-mini", mode = "concatenate" }),
                };
                using var response = await server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (!line.StartsWith("data: ", StringComparison.Ordinal))
                        continue;
                    var json = JsonSerializer.Deserialize<JsonElement>(line["data: ".Length..]);
                    merge.Add(new SseEvent(json.GetProperty("type").GetString()!, json.GetProperty("data").GetString()!));
                    if (merge[^1].Data.StartsWith("Saving", StringComparison.Ordinal))
                        saving.TrySetResult();
                }
            });
            await saving.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // The server is told to stop while the save waits; then the other writer lets go.
            var terminated = server.TerminateAsync(TimeSpan.FromSeconds(60));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!server.Output.Contains("Shutting down", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.Contains("Shutting down", server.Output);
            await Task.Delay(200);
            await using (var rollback = new SqliteCommand("ROLLBACK", writer))
                await rollback.ExecuteNonQueryAsync();

            Assert.Equal(0, await terminated);
            await reading.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.Equal("merge_complete", merge[^1].Type);
        await using var restarted = await StartServerAsync();
        var merged = await HttpAssert.JsonAsync(await restarted.Client.GetAsync($"/api/chats/{merge[^1].Data}/messages"));
        var contents = merged.EnumerateArray().Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.Contains("a [[sim:tokens=3]]", contents);
        Assert.Contains("b [[sim:tokens=3]]", contents);
    }
}
