using ChatMerge.Tests.Hardening;
using ChatMerge.Tests.Infrastructure;
using ChatMerge.Tests.MergeApi;

namespace ChatMerge.Tests.Postgres;

/// <summary>
/// PostgreSQL ends the server's connections while an answer or a merge streams (a restart, a failover,
/// an operator's pg_terminate_backend): the connections waiting in the pool are dead, and what
/// streamed is still stored.
/// </summary>
public sealed class ConnectionLossTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    /// <summary>
    /// Ends the server's connections, at least one. Other test classes' clean-up clears every pool of
    /// the process (<c>NpgsqlConnection.ClearAllPools</c>), so a read first puts one back in the pool.
    /// </summary>
    private async Task EndServerConnectionsAsync()
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            (await server.Client.GetAsync("/api/chats")).EnsureSuccessStatusCode();
            if (await server.Database.QueryScalarAsync<long>(
                    "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") > 0)
                return;
        }
        Assert.Fail("the server holds no pooled connection to end");
    }

    [PostgresFact]
    public async Task An_answer_streaming_while_PostgreSQL_ends_the_servers_connections_is_stored()
    {
        var chat = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        var stream = LiveStream.Start(server.Client, chat, "answer [[sim:tokens=30]] [[sim:delay=40]]");
        await stream.Started;

        await EndServerConnectionsAsync();
        await stream.Completion;

        Assert.Equal("done", stream.Events[^1].Type);
        var id = server.Database.IdLiteral(chat);
        Assert.Equal(2, await server.QueryScalarAsync<long>($"SELECT COUNT(*) FROM messages WHERE chat_id = {id}"));
        Assert.Equal(2, await server.QueryScalarAsync<long>($"SELECT message_count FROM chats WHERE id = {id}"));
        Assert.Equal(stream.Seen("content"), await server.QueryScalarAsync<string>($"SELECT content FROM messages WHERE chat_id = {id} AND role = 'assistant'"));
    }

    [PostgresFact]
    public async Task A_merge_streaming_while_PostgreSQL_ends_the_servers_connections_is_stored()
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 3));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 3));
        var merges = await server.CountAsync("merge_history");

        // The merge reads its sources, then streams slowly: the connections end while it streams.
        var merging = server.MergeAsync(new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini", instructions = "[[sim:delay=40]]" });
        await Task.Delay(TimeSpan.FromSeconds(1));
        await EndServerConnectionsAsync();
        var merged = await merging;

        Assert.Equal("merge_complete", merged.Last?.Type);
        Assert.Equal(merges + 1, await server.CountAsync("merge_history"));
        // Both sources, three questions and three answers each.
        Assert.Equal(12, (await server.ChatAsync(merged.Last!.Data)).Messages().Count);
    }
}
