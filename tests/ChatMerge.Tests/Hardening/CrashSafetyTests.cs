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
            await Task.WhenAll(running.Select(s => s.Started));
            Assert.All(running, s => Assert.True(s.Seen("content").Length > 0, "every stream was under way"));
        }
        finally
        {
            await server.KillAsync();
            await server.DisposeAsync();
        }
        await Task.WhenAll(running.Select(s => s.Completion));
        Assert.All(running, s => Assert.DoesNotContain(s.Events, e => e.Type == "done"));

        await using var restarted = await StartServerAsync();

        Assert.Equal("ok", await ServerProcess.QueryAsync<string>(DatabasePath, "PRAGMA integrity_check"));
        Assert.Equal(0L, await ServerProcess.QueryAsync<long>(DatabasePath, "SELECT COUNT(*) FROM messages m LEFT JOIN chats c ON c.id = m.chat_id WHERE c.id IS NULL"));
        // No half merge: a merged chat that exists has its lineage, and a lineage its chat.
        Assert.Equal(0L, await ServerProcess.QueryAsync<long>(DatabasePath, "SELECT COUNT(*) FROM merge_history h LEFT JOIN chats c ON c.id = h.merged_chat_id WHERE c.id IS NULL"));

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
}
