using ChatMerge.Completions;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ChatMerge.Tests.Completions;

/// <summary>A client that stops reading its events is let go of, instead of holding the stream for as long as its socket lives.</summary>
public sealed class WriteWatchTests(SimulatedServerFixture server) : IClassFixture<SimulatedServerFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);

    [Fact]
    public void Aborts_only_when_one_write_stays_pending_past_the_limit()
    {
        var time = new FakeTimeProvider();
        var aborted = 0;
        using var watch = new WriteWatch(Limit, () => aborted++, time);

        // Quick writes, and a long wait for the next event with no write pending: nothing to do.
        for (var i = 0; i < 5; i++)
        {
            watch.Writing();
            time.Advance(TimeSpan.FromMilliseconds(100));
            watch.Written();
        }
        time.Advance(Limit * 3);
        Assert.Equal(0, aborted);

        watch.Writing();
        time.Advance(Limit);
        time.Advance(Limit);
        Assert.Equal(1, aborted);
        time.Advance(Limit * 3);
        Assert.Equal(1, aborted);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_and_the_answer_so_far_is_kept()
    {
        var chatId = (await server.CreateChatAsync()).GetProperty("id").GetString()!;
        using var socket = await server.StartUnreadCompletionAsync(chatId);
        // The test never reads the answer: the server's writes fill both sockets' buffers and stay pending.

        var messages = await Eventually.GetAsync(async () =>
        {
            var list = await HttpAssert.JsonAsync(await server.Client.GetAsync($"/api/chats/{chatId}/messages"));
            return list.GetArrayLength() == 2 ? list : (System.Text.Json.JsonElement?)null;
        }, TimeSpan.FromSeconds(30));

        var answer = messages[1];
        Assert.Equal("assistant", answer.GetProperty("role").GetString());
        Assert.True(answer.GetProperty("incomplete").GetBoolean());
        // Cut off where the client stopped: far from the 300,000 tokens asked for.
        var content = answer.GetProperty("content").GetString()!;
        Assert.StartsWith("tok1 tok2", content);
        Assert.True(content.Split(' ').Length < 300_000);
    }
}
