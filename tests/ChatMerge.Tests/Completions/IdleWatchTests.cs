using ChatMerge.Completions;
using Microsoft.Extensions.Time.Testing;

namespace ChatMerge.Tests.Completions;

public sealed class IdleWatchTests
{
    private static readonly TimeSpan First = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Between = TimeSpan.FromSeconds(3);

    [Fact]
    public void Expires_when_the_first_piece_does_not_come_in_time()
    {
        var time = new FakeTimeProvider();
        using var watch = new IdleWatch(First, Between, CancellationToken.None, time);

        time.Advance(First - TimeSpan.FromMilliseconds(1));
        Assert.False(watch.Token.IsCancellationRequested);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.True(watch.Token.IsCancellationRequested);
        Assert.True(watch.Expired);
        Assert.Equal(First, watch.Limit);
    }

    [Fact]
    public void Each_piece_allows_the_silence_between_pieces_again()
    {
        var time = new FakeTimeProvider();
        using var watch = new IdleWatch(First, Between, CancellationToken.None, time);

        // Pieces keep coming, two seconds apart, for far longer than either limit.
        for (var i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            watch.Touch();
        }
        Assert.False(watch.Token.IsCancellationRequested);

        time.Advance(Between - TimeSpan.FromMilliseconds(1));
        Assert.False(watch.Token.IsCancellationRequested);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(watch.Expired);
        Assert.Equal(Between, watch.Limit);
    }

    [Fact]
    public void Time_taken_while_paused_is_not_counted_as_silence()
    {
        var time = new FakeTimeProvider();
        using var watch = new IdleWatch(First, Between, CancellationToken.None, time);
        watch.Touch();

        // A piece is handed on to a client that is slow to read, for far longer than the limit.
        watch.Pause();
        time.Advance(Between * 5);
        Assert.False(watch.Token.IsCancellationRequested);

        // Written: the provider's silence is counted again, from then.
        watch.Touch();
        time.Advance(Between - TimeSpan.FromMilliseconds(1));
        Assert.False(watch.Token.IsCancellationRequested);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(watch.Expired);
    }

    [Fact]
    public void The_outer_token_cancels_without_counting_as_expired()
    {
        var time = new FakeTimeProvider();
        using var outer = new CancellationTokenSource();
        using var watch = new IdleWatch(First, Between, outer.Token, time);

        outer.Cancel();

        Assert.True(watch.Token.IsCancellationRequested);
        Assert.False(watch.Expired);
    }

    [Fact]
    public void A_timer_that_fires_after_the_stream_ended_is_harmless()
    {
        var time = new FakeTimeProvider();
        var watch = new IdleWatch(First, Between, CancellationToken.None, time);
        watch.Dispose();

        time.Advance(First * 2);
    }
}
