using System.Net.ServerSentEvents;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ChatMerge.Completions;

/// <summary>
/// The response of a completion or a merge: each event written and flushed as it comes. A client
/// that stops reading (its window full, a write pending for longer than <c>stuckAfter</c>) is
/// disconnected: waiting on it would hold the stream and its provider connection for as long as
/// the socket lives. The stream then ends as for any client that went away, keeping what arrived.
/// </summary>
internal static class EventStream
{
    public static ServerSentEventsResult<StreamEvent> Open(HttpContext http, IAsyncEnumerable<SseItem<StreamEvent>> events, TimeSpan stuckAfter)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return TypedResults.ServerSentEvents(Watched(events, new WriteWatch(stuckAfter, http.Abort)));
    }

    private static async IAsyncEnumerable<SseItem<StreamEvent>> Watched(IAsyncEnumerable<SseItem<StreamEvent>> events, WriteWatch watch)
    {
        using (watch)
        {
            await foreach (var item in events)
            {
                // The writer asks for the next event once this one is written and flushed.
                watch.Writing();
                yield return item;
                watch.Written();
            }
        }
    }
}

/// <summary>
/// Calls <c>abort</c>, once, when a write has been pending for <c>limit</c>. A write only stores a
/// timestamp; a timer looks every <c>limit</c>, so a stuck client is found within twice that.
/// </summary>
internal sealed class WriteWatch : IDisposable
{
    private readonly TimeSpan _limit;
    private readonly Action _abort;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private long _writingSince;

    public WriteWatch(TimeSpan limit, Action abort, TimeProvider? time = null)
    {
        _limit = limit;
        _abort = abort;
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(static state => ((WriteWatch)state!).Check(), this, limit, limit);
    }

    public void Writing() => Volatile.Write(ref _writingSince, _time.GetTimestamp());

    public void Written() => Volatile.Write(ref _writingSince, 0);

    private void Check()
    {
        var since = Volatile.Read(ref _writingSince);
        if (since == 0 || _time.GetElapsedTime(since) < _limit)
            return;
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _abort();
    }

    public void Dispose() => _timer.Dispose();
}
