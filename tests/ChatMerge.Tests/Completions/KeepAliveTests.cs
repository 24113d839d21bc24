using System.Text;
using ChatMerge.Completions;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace ChatMerge.Tests.Completions;

/// <summary>The simulated server, with comments on a silent stream every 0.4 s.</summary>
public sealed class KeepAliveServerFixture : SimulatedServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings() =>
        [.. base.Settings(), new("Providers:KeepAliveInterval", "00:00:00.4")];
}

/// <summary>A stream with nothing to send for a while gets comment lines, which clients skip, so that read timeouts do not close it.</summary>
public sealed class KeepAliveTests(KeepAliveServerFixture server) : IClassFixture<KeepAliveServerFixture>
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_comment_goes_out_only_after_a_quiet_while_and_never_while_an_event_is_written()
    {
        var time = new FakeTimeProvider();
        var body = new MemoryStream();
        using var watch = new WriteWatch(TimeSpan.FromMinutes(2), () => { }, time);
        var keepAlive = new KeepAlive(body, watch, Interval, time);

        // Events keep coming: no comment.
        for (var i = 0; i < 4; i++)
        {
            time.Advance(Interval / 4);
            await keepAlive.EnterAsync();
            keepAlive.Exit();
        }
        time.Advance(Interval / 4);
        Assert.Equal(0, body.Length);

        // An event held for the writer: no comment, however long it takes.
        await keepAlive.EnterAsync();
        time.Advance(Interval * 3);
        Assert.Equal(0, body.Length);
        keepAlive.Exit();

        // Silence: a comment at the next look (the timer runs its callback within Advance; a memory stream writes at once).
        time.Advance(Interval);
        Assert.Equal(": keep-alive\n\n", Encoding.UTF8.GetString(body.ToArray()));
        await keepAlive.EnterAsync();
        keepAlive.Exit();

        await keepAlive.DisposeAsync();
        time.Advance(Interval * 3);
        Assert.Equal(": keep-alive\n\n", Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task A_model_that_is_silent_before_its_first_token_gets_comments_that_clients_skip()
    {
        var chat = (await server.CreateChatAsync()).GetProperty("id").GetString()!;

        // Silent until the server gives the provider up (StreamIdleTimeout, 2 s here).
        var result = await server.CompleteAsync(chat, "think first [[sim:fault=stall-start]]");

        Assert.Equal("text/event-stream", result.ContentType);
        var beforeFirstEvent = result.Body[..result.Body.IndexOf("data: ", StringComparison.Ordinal)];
        Assert.True(beforeFirstEvent.Split(": keep-alive\n\n").Length - 1 >= 2, result.Body);
        Assert.Equal(["error"], result.Events.Select(e => e.Type));
    }

    [Fact]
    public async Task Comments_between_slow_events_never_split_one()
    {
        var chat = (await server.CreateChatAsync()).GetProperty("id").GetString()!;

        // Pauses longer than the quiet time a comment waits for (0.2 s here), shorter than the idle timeout.
        var result = await server.CompleteAsync(chat, "slowly [[sim:tokens=8]] [[sim:delay=500]]");

        Assert.Equal("done", result.Last?.Type);
        Assert.Equal(string.Join(" ", Enumerable.Range(1, 8).Select(i => $"tok{i}")), result.Text("content"));
        var blocks = result.Body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(": keep-alive", blocks);
        Assert.All(blocks, block => Assert.True(
            block == ": keep-alive" || (block.StartsWith("event: ", StringComparison.Ordinal) && block.Split('\n') is [_, var data] && data.StartsWith("data: {", StringComparison.Ordinal)),
            block));
    }
}
