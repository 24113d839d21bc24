using ChatMerge.Tests.Infrastructure;

namespace ChatMerge.Tests.MergeApi;

/// <summary>
/// The database refuses the merged chat after the whole answer streamed (a full disk, a lost
/// connection): the client is told with an error event, nothing is left behind, and the next merge works.
/// </summary>
public sealed class MergeStoreFailureTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    [Fact]
    public async Task A_merge_the_database_refuses_to_store_ends_with_an_error_event_and_stores_nothing()
    {
        var a = await server.SeedChatAsync("A", MergeTestData.Conversation("a", 3));
        var b = await server.SeedChatAsync("B", MergeTestData.Conversation("b", 3));
        var (chats, messages, merges) = (await server.CountAsync("chats"), await server.CountAsync("messages"), await server.CountAsync("merge_history"));
        var request = new { chat_ids = new[] { a, b }, merge_provider = "openai", merge_model = "gpt-4o-mini" };

        // The save writes the chat, then the merge record: refusing the record fails it half-way.
        await server.Database.ExecuteAsync(server.Database.IsPostgres
            ? """
              CREATE FUNCTION refuse_merge() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ LANGUAGE plpgsql;
              CREATE TRIGGER refuse_merge BEFORE INSERT ON merge_history FOR EACH ROW EXECUTE FUNCTION refuse_merge();
              """
            : "CREATE TRIGGER refuse_merge BEFORE INSERT ON merge_history BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
        SseResult refused;
        try
        {
            refused = await server.MergeAsync(request);
        }
        finally
        {
            await server.Database.ExecuteAsync("DROP TRIGGER refuse_merge" + (server.Database.IsPostgres ? " ON merge_history; DROP FUNCTION refuse_merge();" : ""));
        }

        Assert.Equal(200, refused.Status);
        Assert.Contains(refused.Events, e => e.Type == "content");
        Assert.Equal("error", refused.Last?.Type);
        Assert.Contains("could not be saved", refused.Last!.Data);
        Assert.Contains("Nothing was stored", refused.Last.Data);
        Assert.DoesNotContain("disk", refused.Body);
        Assert.Equal(chats, await server.CountAsync("chats"));
        Assert.Equal(messages, await server.CountAsync("messages"));
        Assert.Equal(merges, await server.CountAsync("merge_history"));

        var merged = await server.MergeAsync(request);
        Assert.Equal("merge_complete", merged.Last?.Type);
        Assert.Equal(merges + 1, await server.CountAsync("merge_history"));
    }
}
