using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.Hardening;

/// <summary>SIGKILL in the middle of streams: after a restart the database is intact and holds every message a client saw stored.</summary>
public sealed class CrashSafetyTests : ProcessTestBase
{
    [Fact]
    public async Task Killing_the_server_mid_stream_loses_no_stored_message_and_leaves_the_database_intact()
    {
        var server = await StartServerAsync();
        var finished = new List<(string ChatId, string MessageId, string Text)>();
        var running = new List<LiveStream>();
        Task<SseResult>? merge = null;
        var mergeStarted = new TaskCompletionSource();
        try
        {
            foreach (var (provider, model) in Models)
            {
                var chatId = await CreateChatAsync(server.Client, provider, model);
                var done = await Sse.PostAsync(server.Client, $"/api/chats/{chatId}/completions", new { content = "before the crash" });
                Assert.Equal("done", done.Last?.Type);
                finished.Add((chatId, done.Last!.Data, done.Text("content")));
                for (var i = 0; i < 4; i++)
                    running.Add(LiveStream.Start(server.Client, await CreateChatAsync(server.Client, provider, model), $"long answer {i} [[sim:tokens=400]] [[sim:delay=50]]"));
            }
            // A merge of two finished chats, written slowly by the merge model, killed half-way.
            merge = MergeUntilKilledAsync(server.Client, [finished[0].ChatId, finished[1].ChatId], mergeStarted);
            await Task.WhenAll(running.Select(s => s.Started).Append(mergeStarted.Task));
            Assert.All(running, s => Assert.True(s.Seen("content").Length > 0, "every stream was under way"));
        }
        finally
        {
            await server.KillAsync();
            await server.DisposeAsync();
        }
        await Task.WhenAll(running.Select(s => s.Completion));
        Assert.All(running, s => Assert.DoesNotContain(s.Events, e => e.Type == "done"));
        var killedMerge = await merge!;
        Assert.Contains(killedMerge.Events, e => e.Type == "content");
        Assert.DoesNotContain(killedMerge.Events, e => e.Type == "merge_complete");

        await using var restarted = await StartServerAsync();

        Assert.Equal("ok", await ServerProcess.QueryAsync<string>(DatabasePath, "PRAGMA integrity_check"));
        Assert.Equal(0L, await ServerProcess.QueryAsync<long>(DatabasePath, "SELECT COUNT(*) FROM messages m LEFT JOIN chats c ON c.id = m.chat_id WHERE c.id IS NULL"));
        // No half merge: the merge killed half-way left neither a chat nor a record.
        Assert.Equal(0L, await ServerProcess.QueryAsync<long>(DatabasePath, "SELECT COUNT(*) FROM merge_history"));
        Assert.Equal(0L, await ServerProcess.QueryAsync<long>(DatabasePath, "SELECT COUNT(*) FROM chats WHERE title LIKE 'Merged:%'"));

        foreach (var (chatId, messageId, text) in finished)
        {
            var messages = await HttpAssert.JsonAsync(await restarted.Client.GetAsync($"/api/chats/{chatId}/messages"));
            Assert.Equal(2, messages.GetArrayLength());
            Assert.Equal(messageId, messages[1].GetProperty("id").GetString());
            Assert.Equal(text, messages[1].GetProperty("content").GetString());
        }
        foreach (var stream in running)
        {
            Assert.True(stream.Accepted);
            var messages = await HttpAssert.JsonAsync(await restarted.Client.GetAsync($"/api/chats/{stream.ChatId}/messages"));
            Assert.Equal(stream.Content, messages[0].GetProperty("content").GetString());
        }
        // And it serves again.
        var after = await Sse.PostAsync(restarted.Client, $"/api/chats/{running[0].ChatId}/completions", new { content = "after the crash" });
        Assert.Equal("done", after.Last?.Type);
    }

    /// <summary>Reads a merge stream until the connection breaks; signals once the model's text is coming.</summary>
    private static async Task<SseResult> MergeUntilKilledAsync(HttpClient client, string[] chatIds, TaskCompletionSource started)
    {
        var events = new List<SseEvent>();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/merge")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { chat_ids = chatIds, merge_provider = "openai", merge_model = "gpt-4o-mini", instructions = "[[sim:delay=200]]" }),
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                    continue;
                var json = System.Text.Json.JsonSerializer.Deserialize<System.Text.Json.JsonElement>(line["data: ".Length..]);
                events.Add(new SseEvent(json.GetProperty("type").GetString()!, json.GetProperty("data").GetString()!));
                if (events[^1].Type == "content")
                    started.TrySetResult();
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The server was killed: what arrived is all there is.
        }
        started.TrySetResult();
        return new SseResult(200, "text/event-stream", events, "");
    }
}
